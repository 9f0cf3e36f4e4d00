//! JSON lines: one record a line, each parsed on its own so one bad line does not hide the
//! others.

use super::rows::{ColumnNames, FileRead, RowError, file_error};

/// Items that parsed and the problems of those that did not; `Err` only for an empty file.
type JsonLines<T> = (Vec<(u64, T)>, Vec<RowError>);

fn read_json_lines<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<JsonLines<T>, Vec<RowError>> {
    if bytes.is_empty() {
        return Err(file_error("", "the file is empty"));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(e) => {
                errors.push(RowError {
                    line,
                    field: String::new(),
                    reason: format!("not valid UTF-8 at byte {}", e.valid_up_to() + 1),
                });
                continue;
            }
        };
        let de = &mut serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => out.push((line, v)),
            Err(e) => {
                let path = e.path().to_string();
                errors.push(RowError {
                    line,
                    field: if path == "." { String::new() } else { path },
                    reason: e.into_inner().to_string(),
                });
            }
        }
    }
    Ok((out, errors))
}

/// Reads a JSON lines file into records, `wrap` giving each parsed item its line. JSON names
/// its own fields, so the file's column names are the fields'.
pub(super) fn read_json_file<T: serde::de::DeserializeOwned, R>(
    bytes: &[u8],
    wrap: impl Fn(u64, T) -> R,
) -> Result<FileRead<R>, Vec<RowError>> {
    let (items, errors) = read_json_lines::<T>(bytes)?;
    Ok(FileRead {
        rows: items.into_iter().map(|(line, t)| wrap(line, t)).collect(),
        errors,
        columns: ColumnNames::default(),
    })
}
