//! The mapping file (see `docs/import.md`) and the text encodings it may name.

use super::rows::RowError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A mapping file: see `docs/import.md`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Source column → Consign field.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    #[serde(default)]
    pub options: MappingOptions,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingOptions {
    pub date_format: Option<String>,
    pub time_zone: Option<String>,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Utf8,
    Windows1252,
}

impl Mapping {
    pub fn parse(text: &str) -> Result<Mapping, Vec<RowError>> {
        toml::from_str::<Mapping>(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1) as u64)
                .unwrap_or(0);
            vec![RowError {
                line,
                field: "mapping".into(),
                reason: e.message().to_string(),
            }]
        })
    }

    pub(super) fn check(&self, known: &[&str]) -> Result<Encoding, Vec<RowError>> {
        let mut errs = Vec::new();
        for (col, field) in &self.columns {
            if !known.contains(&field.as_str()) {
                errs.push(RowError {
                    line: 0,
                    field: format!("mapping columns.\"{col}\""),
                    reason: format!(
                        "'{field}' is not a field; expected one of {}",
                        known.join(", ")
                    ),
                });
            }
        }
        for field in self.defaults.keys() {
            if !known.contains(&field.as_str()) {
                errs.push(RowError {
                    line: 0,
                    field: format!("mapping defaults.{field}"),
                    reason: "not a field".into(),
                });
            }
        }
        if let Some(tz) = &self.options.time_zone
            && jiff::tz::TimeZone::get(tz).is_err()
        {
            errs.push(RowError {
                line: 0,
                field: "mapping options.time_zone".into(),
                reason: format!("unknown time zone '{tz}'"),
            });
        }
        if let Some(d) = &self.options.delimiter
            && d.len() != 1
        {
            errs.push(RowError {
                line: 0,
                field: "mapping options.delimiter".into(),
                reason: "must be one ASCII character".into(),
            });
        }
        let enc = match self
            .options
            .encoding
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("utf-8" | "utf8") => Encoding::Utf8,
            Some("windows-1252" | "cp1252" | "latin1" | "iso-8859-1") => Encoding::Windows1252,
            Some(other) => {
                errs.push(RowError {
                    line: 0,
                    field: "mapping options.encoding".into(),
                    reason: format!("unsupported encoding '{other}'; use utf-8 or windows-1252"),
                });
                Encoding::Utf8
            }
        };
        if errs.is_empty() { Ok(enc) } else { Err(errs) }
    }
}

/// Windows-1252's 0x80–0x9F block; 0xA0–0xFF equal Latin-1. Carrier and ERP exports are
/// often in this encoding, and decoding it is a 32-entry table, not a dependency.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

pub(super) fn decode(bytes: &[u8], enc: Encoding) -> Result<String, String> {
    match enc {
        Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
            format!(
                "not valid UTF-8 (byte {} of the field); if the file is Windows-1252, say so with options.encoding in a mapping file",
                e.valid_up_to() + 1
            )
        }),
        Encoding::Windows1252 => Ok(bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9f => CP1252_HIGH[(b - 0x80) as usize],
                _ => b as char,
            })
            .collect()),
    }
}
