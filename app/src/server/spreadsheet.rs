//! Reading uploaded people lists: CSV, XLSX, vCard and plain text, row by row
//! and within hard limits (SECURITY.md rule 17). Nothing here knows what the
//! columns mean; the import and invitation services do.

use std::io::{Cursor, Read};

/// The largest file accepted, enforced while the upload streams.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// The most data rows a file may have (the header not counted).
pub const MAX_ROWS: usize = 200_000;
/// The longest line (CSV record, text line) accepted.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// An XLSX is a zip: more entries than this is not a spreadsheet of people.
const XLSX_MAX_ENTRIES: usize = 10_000;
/// The most an XLSX may unpack to, checked before parsing.
const XLSX_MAX_UNCOMPRESSED: u64 = 512 * 1024 * 1024;

/// What kind of file an upload is, decided from its name and confirmed from
/// its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    VCard,
    Text,
    /// LDAP Data Interchange Format: a directory export (RFC 2849).
    Ldif,
}

/// Why a file could not be read at all. Each message tells the admin what to
/// do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than 50 MB. Split it into smaller files and upload them one by one.")]
    TooLarge,
    #[error("The file has more than 200,000 rows. Split it into smaller files and upload them one by one.")]
    TooManyRows,
    #[error("Line {0} is longer than 64 KB, which no row of people needs. Check that this is the right file.")]
    LineTooLong(usize),
    #[error("Line {0} is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again.")]
    NotUtf8(usize),
    #[error("This file is UTF-16 text. Save it as “CSV UTF-8” and upload it again.")]
    Utf16,
    #[error("Line {line} could not be read: {detail}")]
    Malformed { line: usize, detail: String },
    #[error("“{0}” is not a file Embark reads. Upload a {1} file.")]
    UnsupportedType(String, &'static str),
    #[error("“{0}” is named like a text file but is an Excel workbook. Rename it to .xlsx, or save it as CSV UTF-8.")]
    WorkbookNamedAsText(String),
    #[error("“{0}” is named .xlsx but is not an Excel workbook. Save it from your spreadsheet program as .xlsx or CSV UTF-8.")]
    NotAWorkbook(String),
    #[error("This workbook is password-protected or in the old Excel 97–2003 format. Save it as an unprotected Excel workbook (.xlsx) and upload it again.")]
    EncryptedOrLegacy,
    #[error("This workbook contains macros. Save it as a plain Excel workbook (.xlsx) without macros and upload it again.")]
    Macros,
    #[error("This workbook unpacks to more than 512 MB or has too many parts, so it was refused without being opened.")]
    Oversized,
    #[error("This workbook could not be read; it may be damaged. Open it in your spreadsheet program, save it again as .xlsx, and upload it again. ({0})")]
    DamagedWorkbook(String),
    #[error("This workbook has no worksheet.")]
    NoWorksheet,
    #[error("Contact {contact} of the vCard file could not be read: {detail}")]
    BadVCard { contact: usize, detail: String },
    #[error("This LDIF file could not be read: {0}. Export the entries again from your directory (for example with ldapsearch -LLL or ldifde) and upload that file.")]
    BadLdif(String),
}

/// The file types an upload form accepts, for its messages.
pub const PEOPLE_FILE_TYPES: &[Format] = &[Format::Csv, Format::Xlsx];
pub const SELECTION_FILE_TYPES: &[Format] = &[Format::Csv, Format::Xlsx, Format::VCard, Format::Text, Format::Ldif];

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::VCard => "vcf",
            Self::Text => "txt",
            Self::Ldif => "ldif",
        }
    }

    /// Decides the format from the file name, refusing types not in
    /// `accepted` and contents that contradict the name.
    pub fn detect(file_name: &str, bytes: &[u8], accepted: &[Format]) -> Result<Format, SheetError> {
        let extension = file_name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
        let named = accepted.iter().copied().find(|f| f.extension() == extension || (*f == Self::VCard && extension == "vcard"));
        let Some(format) = named else {
            let names = match accepted.len() {
                2 => ".csv or .xlsx",
                _ => ".csv, .xlsx, .vcf, .txt or .ldif",
            };
            return Err(SheetError::UnsupportedType(file_name.to_owned(), names));
        };
        if bytes.is_empty() {
            return Err(SheetError::Empty);
        }
        let is_zip = bytes.starts_with(b"PK\x03\x04");
        let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        match format {
            Self::Xlsx if is_ole => Err(SheetError::EncryptedOrLegacy),
            Self::Xlsx if !is_zip => Err(SheetError::NotAWorkbook(file_name.to_owned())),
            Self::Csv | Self::Text | Self::VCard | Self::Ldif if is_zip || is_ole => Err(SheetError::WorkbookNamedAsText(file_name.to_owned())),
            _ => Ok(format),
        }
    }
}

/// Calls `on_row(line, cells)` for every non-blank row, the header first.
/// `line` is the 1-based line (CSV, text) or row number (XLSX) an admin sees
/// in their spreadsheet program. Stops at the first file-level problem.
pub fn for_each_row(format: Format, bytes: &[u8], mut on_row: impl FnMut(usize, Vec<String>)) -> Result<(), SheetError> {
    let mut rows = 0usize;
    let mut counted = |line: usize, cells: Vec<String>| -> Result<(), SheetError> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        // The header is row 0 and does not count against the limit.
        if rows > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        rows += 1;
        on_row(line, cells);
        Ok(())
    };
    match format {
        Format::Csv => read_csv(bytes, &mut counted),
        Format::Xlsx => read_xlsx(bytes, &mut counted),
        Format::Text => read_text(bytes, &mut counted),
        Format::VCard => read_vcard(bytes, &mut counted),
        Format::Ldif => read_ldif(bytes, &mut counted),
    }
}

type RowSink<'a> = dyn FnMut(usize, Vec<String>) -> Result<(), SheetError> + 'a;

/// Strips a UTF-8 byte-order mark; refuses UTF-16 text.
fn text_body(bytes: &[u8]) -> Result<&[u8], SheetError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(SheetError::Utf16);
    }
    Ok(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
}

/// The delimiter of the first non-blank line: the most frequent of comma,
/// semicolon and tab outside quotes (Excel in many European locales saves
/// CSV with semicolons).
fn sniff_delimiter(body: &[u8]) -> u8 {
    let first_line = body.split(|&b| b == b'\n').find(|line| line.iter().any(|b| !b.is_ascii_whitespace())).unwrap_or_default();
    let mut quoted = false;
    let mut counts = [0usize; 3];
    for &byte in first_line {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], usize::from(i == 0))).unwrap_or(0);
    delimiters[best]
}

fn read_csv(bytes: &[u8], sink: &mut RowSink<'_>) -> Result<(), SheetError> {
    let body = text_body(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(sniff_delimiter(body)).from_reader(body);
    let mut record = csv::ByteRecord::new();
    // Line numbers as a spreadsheet program shows them, counting the blank
    // lines the reader skips: counted incrementally from byte offsets.
    let (mut counted_to, mut line) = (0usize, 1usize);
    loop {
        let at = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(body.len());
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => return Err(SheetError::Malformed { line: line_at(body, &mut counted_to, &mut line, at), detail: error.to_string() }),
        }
        let mut start = record.position().map_or(at, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX).min(body.len()));
        // The reader's record position is where it began reading, before the
        // blank lines it skipped.
        while start < body.len() && matches!(body[start], b'\n' | b'\r') {
            start += 1;
        }
        let line = line_at(body, &mut counted_to, &mut line, start);
        if record.as_slice().len() > MAX_LINE_BYTES {
            return Err(SheetError::LineTooLong(line));
        }
        let mut cells = Vec::with_capacity(record.len());
        for cell in &record {
            cells.push(std::str::from_utf8(cell).map_err(|_| SheetError::NotUtf8(line))?.to_owned());
        }
        sink(line, cells)?;
    }
}

/// The 1-based line of byte `at`, advancing a running count (`at` only grows).
fn line_at(body: &[u8], counted_to: &mut usize, line: &mut usize, at: usize) -> usize {
    if at > *counted_to {
        *line += body[*counted_to..at].iter().filter(|&&b| b == b'\n').count();
        *counted_to = at;
    }
    *line
}

fn read_text(bytes: &[u8], sink: &mut RowSink<'_>) -> Result<(), SheetError> {
    let body = text_body(bytes)?;
    for (index, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        if raw.len() > MAX_LINE_BYTES {
            return Err(SheetError::LineTooLong(line));
        }
        let text = std::str::from_utf8(raw).map_err(|_| SheetError::NotUtf8(line))?;
        sink(line, vec![text.trim().to_owned()])?;
    }
    Ok(())
}

/// vCards become rows with two columns, "Email" and "Full name": each
/// contact's first email and its formatted name.
fn read_vcard(bytes: &[u8], sink: &mut RowSink<'_>) -> Result<(), SheetError> {
    let body = whole_text(bytes)?;
    sink(0, vec!["Email".to_owned(), "Full name".to_owned()])?;
    let parser = ical::VcardParser::new(std::io::BufReader::new(body.as_bytes()));
    for (index, contact) in parser.enumerate() {
        let contact = contact.map_err(|e| SheetError::BadVCard { contact: index + 1, detail: e.to_string() })?;
        let email = contact.properties.iter().find(|p| p.name.eq_ignore_ascii_case("EMAIL")).and_then(|p| p.value.clone()).unwrap_or_default();
        let name = contact.properties.iter().find(|p| p.name.eq_ignore_ascii_case("FN")).and_then(|p| p.value.clone());
        // A contact without email is still a row, so it is reported by name.
        let name = name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("Contact {}", index + 1));
        sink(index + 1, vec![email, name])?;
    }
    Ok(())
}

/// A text file read whole (vCard, LDIF): no line over the limit, and UTF-8,
/// or the first line that is not.
fn whole_text(bytes: &[u8]) -> Result<&str, SheetError> {
    let body = text_body(bytes)?;
    if let Some(index) = body.split(|&b| b == b'\n').position(|l| l.len() > MAX_LINE_BYTES) {
        return Err(SheetError::LineTooLong(index + 1));
    }
    std::str::from_utf8(body).map_err(|_| {
        let line = body.split(|&b| b == b'\n').position(|l| std::str::from_utf8(l).is_err()).map_or(1, |i| i + 1);
        SheetError::NotUtf8(line)
    })
}

/// Attributes an LDIF entry's email is read from, in order: `mail`, then
/// Active Directory's sign-in name, which is an address at most companies.
const LDIF_EMAIL_ATTRIBUTES: &[&str] = &["mail", "userprincipalname"];
/// Attributes an entry's external ID is read from when it has no email, in
/// order: the ids identity providers and directory syncs use, then the
/// account names Embark also matches as usernames.
const LDIF_EXTERNAL_ID_ATTRIBUTES: &[&str] = &["employeeid", "employeenumber", "entryuuid", "objectguid", "uid", "samaccountname"];

/// LDIF entries become rows with three columns, "Email", "External ID" and
/// "Full name", numbered by the line of their `dn:`. Change records
/// (`changetype: modify`) and values read from URLs are refused: the file
/// should be a plain export of entries.
fn read_ldif(bytes: &[u8], sink: &mut RowSink<'_>) -> Result<(), SheetError> {
    let text = whole_text(bytes)?;
    let dn_lines: Vec<usize> =
        text.split('\n').enumerate().filter(|(_, line)| line.get(..3).is_some_and(|start| start.eq_ignore_ascii_case("dn:"))).map(|(i, _)| i + 1).collect();
    let parsed = ldif_parser::LdifParser::parse_with_warnings(text).map_err(|e| SheetError::BadLdif(e.to_string()))?;
    if parsed.skipped_url_references > 0 {
        return Err(SheetError::BadLdif("it reads values from files or URLs (“attribute:< …”), which Embark does not open".to_owned()));
    }
    if parsed.entries.is_empty() && parsed.skipped_entries > 0 {
        return Err(SheetError::BadLdif("no entry starts with a “dn:” line".to_owned()));
    }
    // Entries without a dn are skipped by the parser, so the dn lines number
    // the entries; should they not line up, entries are numbered in order.
    let numbered = dn_lines.len() == parsed.entries.len();
    sink(0, vec!["Email".to_owned(), "External ID".to_owned(), "Full name".to_owned()])?;
    for (index, entry) in parsed.entries.iter().enumerate() {
        let first = |names: &[&str]| {
            names.iter().find_map(|name| entry.get_attr(name).and_then(|values| values.iter().find(|v| !v.trim().is_empty())).map(|v| ldif_text(name, v)))
        };
        let email = first(LDIF_EMAIL_ATTRIBUTES).unwrap_or_default();
        let external_id = first(LDIF_EXTERNAL_ID_ATTRIBUTES).unwrap_or_default();
        let name = first(&["displayname", "cn"]).unwrap_or_else(|| entry.dn.clone());
        sink(if numbered { dn_lines[index] } else { index + 1 }, vec![email, external_id, name])?;
    }
    Ok(())
}

/// An attribute's value as text. Active Directory's `objectGUID` is 16 bytes
/// (base64 in LDIF) and is written the way Windows shows it.
fn ldif_text(attribute: &str, value: &str) -> String {
    use base64::Engine as _;
    // The parser keeps a base64 value that is not UTF-8 as "base64:…"; a
    // GUID whose 16 bytes happen to be UTF-8 arrives as text.
    let binary = match value.strip_prefix("base64:") {
        Some(encoded) => base64::engine::general_purpose::STANDARD.decode(encoded).ok(),
        None if attribute == "objectguid" && value.len() == 16 => Some(value.as_bytes().to_vec()),
        None => None,
    };
    match binary {
        Some(bytes) if attribute == "objectguid" => crate::server::ldap::windows_guid(&bytes).unwrap_or_default(),
        Some(_) => String::new(),
        None => value.trim().to_owned(),
    }
}

/// Checks the zip's directory before any XML is parsed: entry count, total
/// declared size, macros; then that no entry unpacks to more than it
/// declares (a zip bomb can lie in its directory).
fn check_workbook_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
    if archive.len() > XLSX_MAX_ENTRIES {
        return Err(SheetError::Oversized);
    }
    let mut declared_total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
        if entry.encrypted() {
            return Err(SheetError::EncryptedOrLegacy);
        }
        let name = entry.name().map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
        if name.eq_ignore_ascii_case("xl/vbaProject.bin") {
            return Err(SheetError::Macros);
        }
        declared_total = declared_total.saturating_add(entry.size());
    }
    if declared_total > XLSX_MAX_UNCOMPRESSED {
        return Err(SheetError::Oversized);
    }
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
        let declared = entry.size();
        let unpacked =
            std::io::copy(&mut entry.take(declared.saturating_add(1)), &mut std::io::sink()).map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
        if unpacked > declared {
            return Err(SheetError::Oversized);
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], sink: &mut RowSink<'_>) -> Result<(), SheetError> {
    use calamine::{DataRef, Reader, Xlsx};
    check_workbook_archive(bytes)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
    let sheet = workbook.sheet_names().first().cloned().ok_or(SheetError::NoWorksheet)?;
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(|e| SheetError::DamagedWorkbook(e.to_string()))?;
    let mut current_row: Option<u32> = None;
    let mut row: Vec<String> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| SheetError::DamagedWorkbook(e.to_string()))? {
        let (row_index, column) = cell.get_position();
        if current_row != Some(row_index) {
            if let Some(done) = current_row {
                sink(done as usize + 1, std::mem::take(&mut row))?;
            }
            current_row = Some(row_index);
        }
        let column = column as usize;
        if column > 1_000 {
            return Err(SheetError::LineTooLong(row_index as usize + 1));
        }
        if row.len() <= column {
            row.resize(column + 1, String::new());
        }
        row[column] = match cell.get_value() {
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => (*s).to_owned(),
            // Spreadsheets turn numeric ids and phone numbers into numbers.
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            DataRef::Float(f) => f.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(d) => d.to_string(),
            DataRef::Error(e) => format!("#{e:?}"),
            DataRef::Empty => String::new(),
        };
        if row.iter().map(String::len).sum::<usize>() > MAX_LINE_BYTES {
            return Err(SheetError::LineTooLong(row_index as usize + 1));
        }
    }
    if let Some(done) = current_row {
        sink(done as usize + 1, row)?;
    }
    Ok(())
}

/// SECURITY: a cell for a CSV file Embark writes, with a leading `'` when
/// Where a streamed CSV download's chunks go: the response body. A send
/// fails once the reader has gone.
pub type ChunkSender = tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>;

/// What `writer` holds so far, for the next chunk; it goes on with an empty
/// buffer (csv's `Writer` lends no access to its output otherwise).
pub fn take_written(writer: &mut csv::Writer<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    let full = std::mem::replace(writer, csv::Writer::from_writer(Vec::new()));
    full.into_inner().map_err(|e| anyhow::anyhow!("a CSV chunk could not be finished: {}", e.error()))
}

/// it starts like a formula, so a spreadsheet program shows it instead of
/// running it (SECURITY.md rule 18).
pub fn formula_safe(cell: &str) -> String {
    // A leading NUL is dropped by some spreadsheet programs, which then see
    // whatever follows it.
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(format: Format, bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
        let mut out = Vec::new();
        for_each_row(format, bytes, |line, cells| out.push((line, cells)))?;
        Ok(out)
    }

    #[test]
    fn csv_with_bom_semicolons_quotes_and_blank_lines() {
        let file = "\u{feff}Email;Full name\n\nada@example.com;\"Lovelace; Ada\"\n\"grace@example.com\";\"Grace\nHopper\"\n";
        let read = rows(Format::Csv, file.as_bytes()).unwrap();
        assert_eq!(read[0], (1, vec!["Email".to_owned(), "Full name".to_owned()]));
        assert_eq!(read[1], (3, vec!["ada@example.com".to_owned(), "Lovelace; Ada".to_owned()]));
        assert_eq!(read[2].0, 4);
        assert_eq!(read[2].1[1], "Grace\nHopper");
    }

    #[test]
    fn comma_is_the_delimiter_when_in_doubt() {
        assert_eq!(sniff_delimiter(b"Email"), b',');
        assert_eq!(sniff_delimiter(b"\n\"a;b\",c,d"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c,d"), b';');
    }

    #[test]
    fn text_that_is_not_utf8_names_its_line() {
        assert_eq!(rows(Format::Csv, b"Email\nok@example.com\n\xff\xfe@x\n"), Err(SheetError::NotUtf8(3)));
        assert_eq!(rows(Format::Csv, b"\xff\xfeE\x00"), Err(SheetError::Utf16));
    }

    #[test]
    fn contents_must_match_the_name() {
        assert_eq!(Format::detect("people.xlsx", b"Email\n", PEOPLE_FILE_TYPES), Err(SheetError::NotAWorkbook("people.xlsx".into())));
        assert_eq!(Format::detect("people.csv", b"PK\x03\x04rest", PEOPLE_FILE_TYPES), Err(SheetError::WorkbookNamedAsText("people.csv".into())));
        assert!(matches!(Format::detect("people.pdf", b"%PDF", PEOPLE_FILE_TYPES), Err(SheetError::UnsupportedType(..))));
        assert!(matches!(Format::detect("people.vcf", b"BEGIN", PEOPLE_FILE_TYPES), Err(SheetError::UnsupportedType(..))));
        assert_eq!(Format::detect("People.CSV", b"Email", PEOPLE_FILE_TYPES), Ok(Format::Csv));
        assert_eq!(Format::detect("x.vcf", b"BEGIN", SELECTION_FILE_TYPES), Ok(Format::VCard));
    }

    #[test]
    fn vcards_yield_their_first_email() {
        let file = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL;TYPE=work:ada@example.com\r\nEMAIL:ada@home.example\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nomail Person\r\nEND:VCARD\r\n";
        let read = rows(Format::VCard, file.as_bytes()).unwrap();
        assert_eq!(read[0].1, vec!["Email", "Full name"]);
        assert_eq!(read[1].1, vec!["ada@example.com", "Ada Lovelace"]);
        assert_eq!(read[2].1, vec!["", "Nomail Person"]);
    }

    #[test]
    fn cells_that_look_like_formulas_are_defused() {
        assert_eq!(formula_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(formula_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(formula_safe("\tx"), "'\tx");
        assert_eq!(formula_safe("\0=cmd"), "'\0=cmd");
        assert_eq!(formula_safe("ada@example.com"), "ada@example.com");
    }

    #[test]
    fn workbooks_with_too_many_entries_are_refused_before_parsing() {
        let mut bytes = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut bytes));
            let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            for index in 0..=XLSX_MAX_ENTRIES {
                zip.start_file(format!("xl/junk{index}.xml"), options).unwrap();
            }
            zip.finish().unwrap();
        }
        assert!(matches!(check_workbook_archive(&bytes), Err(SheetError::Oversized)));
    }

    #[test]
    fn over_long_lines_are_refused() {
        let file = format!("Email\n{}\n", "a".repeat(MAX_LINE_BYTES + 1));
        assert_eq!(rows(Format::Csv, file.as_bytes()), Err(SheetError::LineTooLong(2)));
        assert_eq!(rows(Format::Text, file.as_bytes()), Err(SheetError::LineTooLong(2)));
    }
    #[test]
    fn ldif_entries_yield_email_external_id_and_name_by_their_dn_line() {
        let file = "version: 1\n# exported\ndn: uid=ada,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\ncn: Ada\n  Lovelace\nMail: ada@example.com\nentryUUID: 0d9c2b7e-1f7a-4d2a-9a3e-5b8f3c1d2e4f\n\n\
                    dn: cn=Grace,ou=people,dc=example,dc=com\ncn: Grace Hopper\nemployeeID: E-7\n\n\
                    dn:: Y249Tm9tYWlsLGRjPWV4YW1wbGUsZGM9Y29t\nobjectGUID:: EjRWeJq83vASNFZ4mrze8A==\n";
        let read = rows(Format::Ldif, file.as_bytes()).unwrap();
        assert_eq!(read[0].1, vec!["Email", "External ID", "Full name"]);
        assert_eq!(read[1], (3, vec!["ada@example.com".to_owned(), "0d9c2b7e-1f7a-4d2a-9a3e-5b8f3c1d2e4f".to_owned(), "Ada Lovelace".to_owned()]));
        assert_eq!(read[2], (10, vec![String::new(), "E-7".to_owned(), "Grace Hopper".to_owned()]));
        // A base64 dn, no name: the dn names it; the GUID reads as Windows shows it.
        assert_eq!(read[3], (14, vec![String::new(), "78563412-bc9a-f0de-1234-56789abcdef0".to_owned(), "cn=Nomail,dc=example,dc=com".to_owned()]));
    }

    #[test]
    fn ldif_change_records_and_url_values_are_refused() {
        let modify = "dn: uid=ada,dc=example,dc=com\nchangetype: modify\nreplace: mail\nmail: x@example.com\n";
        assert!(matches!(rows(Format::Ldif, modify.as_bytes()), Err(SheetError::BadLdif(_))));
        let url = "dn: uid=ada,dc=example,dc=com\njpegPhoto:< file:///etc/passwd\n";
        assert!(matches!(rows(Format::Ldif, url.as_bytes()), Err(SheetError::BadLdif(_))));
        assert!(matches!(rows(Format::Ldif, b"mail: ada@example.com\n"), Err(SheetError::BadLdif(_))));
        assert_eq!(Format::detect("people.LDIF", b"dn: x", SELECTION_FILE_TYPES), Ok(Format::Ldif));
        assert!(matches!(Format::detect("people.ldif", b"dn: x", PEOPLE_FILE_TYPES), Err(SheetError::UnsupportedType(..))));
    }
}
