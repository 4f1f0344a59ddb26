//! `advice-site feedback export`: every entry as CSV (RFC 4180, by the
//! `csv` crate), with a header row.

use std::io::Write;

use super::Entry;

/// A reader's text, made inert for spreadsheets: one that starts like a
/// formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`, as OWASP
/// advises, so opening the export never runs what a stranger typed.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Writes `entries` as CSV to `out`.
pub fn write(entries: &[Entry], out: impl Write) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["date", "page", "useful", "after_answer", "text"])?;
    for entry in entries {
        writer.write_record([
            entry.day.to_string().as_str(),
            &entry.page,
            if entry.useful { "yes" } else { "no" },
            if entry.followup { "yes" } else { "no" },
            &spreadsheet_safe(&entry.comment),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_formula_is_written_as_text() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("fine = ok"), "fine = ok");
    }

    #[test]
    fn quotes_commas_and_line_breaks_are_quoted() {
        let entries = [Entry {
            page: "/a".into(),
            useful: false,
            comment: "say \"no\", twice\nplease".into(),
            followup: true,
            day: date!(2026 - 03 - 04),
        }];
        let mut out = Vec::new();
        write(&entries, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "date,page,useful,after_answer,text\n2026-03-04,/a,no,yes,\"say \"\"no\"\", twice\nplease\"\n"
        );
    }
}
