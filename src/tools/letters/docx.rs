//! A rendered letter → a Word file, through `docx-rs` (the format is the
//! library's job; only the layout is ours): A4, Arial 12pt, sender and date
//! on the right, reference in bold, body paragraphs, sign-off.

use std::io::Cursor;

use docx_rs::{AlignmentType, BreakType, Docx, LineSpacing, PageMargin, Paragraph, Run, RunFonts};
use time::Date;

use super::Letter;
use super::form::Answers;
use super::render::{RenderError, RenderedLetter};

/// A4 in twentieths of a point.
const A4_WIDTH: u32 = 11_906;
const A4_HEIGHT: u32 = 16_838;
/// 2.5 cm margins, in twentieths of a point.
const MARGIN: i32 = 1_418;
/// Space after each paragraph: 10pt, in twentieths of a point.
const AFTER: u32 = 200;
/// Font size in half-points: 12pt.
const SIZE: usize = 24;
const FONT: &str = "Arial";

impl Letter {
    /// The letter as a .docx file for `answers` on `today`.
    pub fn docx(&self, answers: &Answers, today: Date) -> Result<Vec<u8>, RenderError> {
        self.render(answers, today)?.to_docx()
    }
}

impl RenderedLetter {
    /// This letter as the bytes of a .docx file.
    pub fn to_docx(&self) -> Result<Vec<u8>, RenderError> {
        let fonts = RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT);
        let margins = PageMargin::new()
            .top(MARGIN)
            .bottom(MARGIN)
            .left(MARGIN)
            .right(MARGIN);
        let mut doc = Docx::new()
            .page_size(A4_WIDTH, A4_HEIGHT)
            .page_margin(margins)
            .default_fonts(fonts)
            .default_size(SIZE)
            .add_paragraph(block(&self.sender).align(AlignmentType::Right))
            .add_paragraph(block(&[&self.date]).align(AlignmentType::Right))
            .add_paragraph(block(&self.recipient))
            .add_paragraph(spaced(
                Paragraph::new().add_run(Run::new().add_text(self.reference.as_str()).bold()),
            ))
            .add_paragraph(block(&[&self.greeting]));
        for paragraph in &self.paragraphs {
            doc = doc.add_paragraph(block(&paragraph.lines().collect::<Vec<_>>()));
        }
        doc = doc.add_paragraph(block(&self.closing));

        let mut bytes = Cursor::new(Vec::new());
        doc.pack(&mut bytes).map_err(|err| RenderError {
            part: "docx".into(),
            line: None,
            message: err.to_string(),
        })?;
        Ok(bytes.into_inner())
    }
}

/// One paragraph whose lines are joined by line breaks, not new paragraphs,
/// so an address stays together.
fn block<S: AsRef<str>>(lines: &[S]) -> Paragraph {
    let mut run = Run::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        run = run.add_text(line.as_ref().replace('\t', " "));
    }
    spaced(Paragraph::new().add_run(run))
}

fn spaced(paragraph: Paragraph) -> Paragraph {
    paragraph.line_spacing(LineSpacing::new().after(AFTER))
}
