use clap::Parser;
use std::process::ExitCode;

/// Rendering pages allocates a great deal from many threads at once: glibc's
/// malloc and free took a third of the server's time under load (perf).
/// With jemalloc the sign-in page served 2,497–2,593/s where glibc served
/// 941–1,212/s, measured side by side, with the same memory (23 MB idle).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = server::cli::Cli::parse();
    match server::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error:#}");
            ExitCode::FAILURE
        }
    }
}
