-- The import file's optional "Sign-in method" column (issue 13) and
-- "Username" column (issue 14, people without email).

-- NULL when the cell is empty, so a matched person keeps theirs.
ALTER TABLE import_row ADD COLUMN sign_in_method sign_in_method;

-- The username as typed, or (username_suggested) made from the name for a
-- new person without email, made unique when the file is applied.
ALTER TABLE import_row ADD COLUMN username text;
ALTER TABLE import_row ADD COLUMN username_normalized text;
ALTER TABLE import_row ADD COLUMN username_suggested boolean NOT NULL DEFAULT false;
