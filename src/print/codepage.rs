//! Printer code pages: names, Epson `ESC t` numbers, and text -> printer bytes.
//!
//! Invariant: [`CodePage::encode`] emits exactly one byte per printed character, never a byte
//! below 0x20, never 0x7F and never a C1 control (0x80..=0x9F where the page has controls there),
//! so user text (item names, notes) can neither inject ESC/POS commands nor print garbage.
//! A character the page lacks becomes `?`.
//!
//! Where the tables come from:
//! - WPC1252, WPC1253 and ISO-8859-7 use `encoding_rs` (windows-1252, windows-1253, ISO-8859-7).
//! - CP737, PC437, PC850 and PC858 are the 128-entry upper halves below, written from the
//!   Unicode consortium's vendor mapping files (VENDORS/MICSFT/PC/CP737.TXT etc.).
//!   encoding_rs implements the WHATWG Encoding Standard, which has no DOS code pages at all
//!   (IBM866 is the only one). The `escpos` crate does have PC737/PC437/PC850/PC858 tables, but
//!   they are `pub(crate)` and only reachable through its `Printer::write`, which hands every
//!   character missing from the table to an encoding_rs encoder (UTF-8 by default: multi-byte
//!   garbage on paper, or an error for the whole text) instead of `?`. Its PC858 table also
//!   repeats 'Ô' at 0xE3 where PC858 has 'Ò'. The unit tests below cross-check our CP737
//!   against the escpos crate's table through its public API.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A character table a printer can be switched to with `ESC t n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CodePage {
    /// DOS Greek (CP737): the Greek page of most ESC/POS printers.
    #[serde(rename = "cp737")]
    Cp737,
    /// Windows Greek (WPC1253).
    #[serde(rename = "wpc1253")]
    Wpc1253,
    /// ISO/IEC 8859-7:2003 Latin/Greek (has the euro sign at 0xA4).
    #[serde(rename = "iso8859-7")]
    Iso8859_7,
    /// DOS US (PC437), the factory default of most printers.
    #[serde(rename = "pc437")]
    Pc437,
    /// DOS Multilingual Latin-1 (PC850).
    #[serde(rename = "pc850")]
    Pc850,
    /// PC850 with the euro sign at 0xD5 (PC858).
    #[serde(rename = "pc858")]
    Pc858,
    /// Windows Western (WPC1252).
    #[serde(rename = "wpc1252")]
    Wpc1252,
}

/// Error for a code page name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCodePage(pub String);

impl fmt::Display for UnknownCodePage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown code page {:?} (expected one of: {})",
            self.0,
            CodePage::ALL.map(CodePage::name).join(", ")
        )
    }
}

impl std::error::Error for UnknownCodePage {}

impl CodePage {
    /// Every supported page, Greek first.
    pub const ALL: [CodePage; 7] = [
        CodePage::Cp737,
        CodePage::Wpc1253,
        CodePage::Iso8859_7,
        CodePage::Pc437,
        CodePage::Pc850,
        CodePage::Pc858,
        CodePage::Wpc1252,
    ];

    /// Canonical lowercase name, as used in serde and `Display`.
    pub fn name(self) -> &'static str {
        match self {
            CodePage::Cp737 => "cp737",
            CodePage::Wpc1253 => "wpc1253",
            CodePage::Iso8859_7 => "iso8859-7",
            CodePage::Pc437 => "pc437",
            CodePage::Pc850 => "pc850",
            CodePage::Pc858 => "pc858",
            CodePage::Wpc1252 => "wpc1252",
        }
    }

    /// The `ESC t n` number of this page in Epson's ESC/POS table. Printer records override it:
    /// other makers number pages differently (the Jolimark TP850UE selects CP737 with 29).
    pub fn epson_esc_t(self) -> u8 {
        match self {
            CodePage::Pc437 => 0,
            CodePage::Pc850 => 2,
            CodePage::Cp737 => 14,
            CodePage::Iso8859_7 => 15,
            CodePage::Wpc1252 => 16,
            CodePage::Pc858 => 19,
            CodePage::Wpc1253 => 47,
        }
    }

    /// The page Epson numbers `n`, if it is one of ours.
    pub fn from_epson_esc_t(n: u8) -> Option<CodePage> {
        CodePage::ALL.into_iter().find(|p| p.epson_esc_t() == n)
    }

    /// True for the pages whose letters are Greek (test pages print Greek sample text).
    pub fn is_greek(self) -> bool {
        matches!(
            self,
            CodePage::Cp737 | CodePage::Wpc1253 | CodePage::Iso8859_7
        )
    }

    /// Encodes `text` for this page: one byte per printed character, `?` for what the page
    /// lacks. Before giving up on a character it tries, in order: composing a base letter with a
    /// following combining accent (decomposed input from some keyboards), typographic
    /// equivalents (curly quotes, dashes, no-break space, Greek question mark, ΐ/ΰ -> ϊ/ϋ on
    /// CP737). Tab, CR and LF become spaces; other control characters become `?`.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut pending: Option<char> = None;
        for c in text.chars() {
            if is_combining_mark(c) {
                if let Some(base) = pending {
                    // Compose if the page has the composed letter, else keep the bare base.
                    if let Some(composed) = compose(base, c)
                        && self.encode_char(composed).is_some()
                    {
                        pending = Some(composed);
                    }
                }
                // A mark with no base is dropped: it has no width of its own.
                continue;
            }
            if let Some(prev) = pending.replace(c) {
                out.push(self.encode_with_fallback(prev));
            }
        }
        if let Some(last) = pending {
            out.push(self.encode_with_fallback(last));
        }
        out
    }

    /// True when every character of `text` prints as itself (no `?` substitution).
    pub fn can_encode(&self, text: &str) -> bool {
        text.chars().all(|c| self.encode_char(c).is_some())
    }

    /// Decodes printer bytes back to text (for tests and fake printers). Bytes below 0x80 are
    /// ASCII; bytes the page leaves undefined become U+FFFD.
    pub fn decode(&self, bytes: &[u8]) -> String {
        bytes.iter().map(|&b| self.decode_byte(b)).collect()
    }

    fn decode_byte(&self, b: u8) -> char {
        if b < 0x80 {
            return char::from(b);
        }
        if *self == CodePage::Pc858 && b == PC858_EURO {
            return '€';
        }
        if let Some(table) = self.dos_table() {
            return table[usize::from(b - 0x80)];
        }
        let byte = [b];
        let (text, _had_errors) = self.whatwg().decode_without_bom_handling(&byte);
        text.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    fn encode_with_fallback(&self, c: char) -> u8 {
        if let Some(b) = self.encode_char(c) {
            return b;
        }
        if let Some(alt) = fallback(c)
            && let Some(b) = self.encode_char(alt)
        {
            return b;
        }
        b'?'
    }

    /// One character to one byte, or None if the page lacks it (or it is a control).
    fn encode_char(&self, c: char) -> Option<u8> {
        match c {
            '\t' | '\n' | '\r' => return Some(b' '),
            ' '..='~' => return u8::try_from(c).ok(),
            _ if c.is_control() => return None,
            _ => {}
        }
        if let Some(table) = self.dos_table() {
            if *self == CodePage::Pc858 && c == '€' {
                return Some(PC858_EURO);
            }
            if *self == CodePage::Pc858 && c == 'ı' {
                return None; // PC858 replaced PC850's dotless i with the euro sign.
            }
            let pos = table.iter().position(|&t| t == c)?;
            return u8::try_from(pos + 0x80).ok();
        }
        let mut encoder = self.whatwg().new_encoder();
        let mut utf8 = [0u8; 4];
        let mut dst = [0u8; 8];
        let (result, _read, written) =
            encoder.encode_from_utf8_without_replacement(c.encode_utf8(&mut utf8), &mut dst, true);
        match (result, written) {
            // Input C1 controls were refused above, so a byte in 0x80..=0x9F here is a
            // printable WPC character (the euro sign is 0x80 in WPC1252 and WPC1253).
            (encoding_rs::EncoderResult::InputEmpty, 1) => Some(dst[0]),
            _ => None,
        }
    }

    fn dos_table(&self) -> Option<&'static [char; 128]> {
        match self {
            CodePage::Cp737 => Some(&CP737_HIGH),
            CodePage::Pc437 => Some(&PC437_HIGH),
            CodePage::Pc850 | CodePage::Pc858 => Some(&PC850_HIGH),
            CodePage::Wpc1253 | CodePage::Iso8859_7 | CodePage::Wpc1252 => None,
        }
    }

    /// The encoding_rs encoding of a non-DOS page (DOS pages never get here).
    fn whatwg(&self) -> &'static encoding_rs::Encoding {
        match self {
            CodePage::Wpc1253 => encoding_rs::WINDOWS_1253,
            CodePage::Iso8859_7 => encoding_rs::ISO_8859_7,
            _ => encoding_rs::WINDOWS_1252,
        }
    }
}

impl fmt::Display for CodePage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CodePage {
    type Err = UnknownCodePage;

    /// Accepts the canonical names and common aliases, case-insensitively
    /// ("CP737", "pc737", "737", "windows-1253", "iso-8859-7", "cp858", ...).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        let page = match key.as_str() {
            "cp737" | "pc737" | "737" | "ibm737" => CodePage::Cp737,
            "wpc1253" | "cp1253" | "windows1253" | "1253" => CodePage::Wpc1253,
            "iso88597" | "greek" => CodePage::Iso8859_7,
            "pc437" | "cp437" | "437" | "ibm437" => CodePage::Pc437,
            "pc850" | "cp850" | "850" | "ibm850" => CodePage::Pc850,
            "pc858" | "cp858" | "858" | "ibm858" => CodePage::Pc858,
            "wpc1252" | "cp1252" | "windows1252" | "1252" => CodePage::Wpc1252,
            _ => return Err(UnknownCodePage(s.to_owned())),
        };
        Ok(page)
    }
}

fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// Canonical composition of a base letter and one combining mark, for the letters our pages
/// carry precomposed (Greek vowels with tonos/dialytika, Latin-1 accented letters).
fn compose(base: char, mark: char) -> Option<char> {
    let pairs: &str = match mark {
        '\u{0301}' => "aáeéiíoóuúyýAÁEÉIÍOÓUÚYÝαάεέηήιίοόυύωώΑΆΕΈΗΉΙΊΟΌΥΎΩΏϊΐϋΰ",
        '\u{0300}' => "aàeèiìoòuùAÀEÈIÌOÒUÙ",
        '\u{0302}' => "aâeêiîoôuûAÂEÊIÎOÔUÛ",
        '\u{0303}' => "aãoõnñAÃOÕNÑ",
        '\u{0308}' => "aäeëiïoöuüyÿAÄEËIÏOÖUÜιϊυϋΙΪΥΫ",
        '\u{030A}' => "aåAÅ",
        '\u{0327}' => "cçCÇ",
        '\u{0344}' => "ιΐυΰ",
        _ => return None,
    };
    let chars: Vec<char> = pairs.chars().collect();
    chars
        .chunks_exact(2)
        .find(|pair| pair[0] == base)
        .map(|pair| pair[1])
}

/// A same-meaning stand-in for a character a page may lack (tried once, then `?`).
fn fallback(c: char) -> Option<char> {
    let alt = match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '«' | '»' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{00AD}' => '-',
        '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{202F}' => ' ',
        '\u{037E}' => ';', // Greek question mark is canonically ';'.
        '\u{0387}' => '·', // Greek ano teleia is canonically the middle dot.
        'ΐ' => 'ϊ',        // CP737 has no dialytika-with-tonos letters.
        'ΰ' => 'ϋ',
        'µ' => 'μ', // micro sign -> Greek mu on Greek pages
        'μ' => 'µ', // and the other way on Western pages
        '\u{00D7}' => 'x',
        _ => return None,
    };
    Some(alt)
}

/// PC858 is PC850 with the euro sign in place of the dotless i at 0xD5.
const PC858_EURO: u8 = 0xD5;

/// CP737 (DOS Greek), bytes 0x80..=0xFF.
const CP737_HIGH: [char; 128] = [
    'Α', 'Β', 'Γ', 'Δ', 'Ε', 'Ζ', 'Η', 'Θ', // 0x80
    'Ι', 'Κ', 'Λ', 'Μ', 'Ν', 'Ξ', 'Ο', 'Π', // 0x88
    'Ρ', 'Σ', 'Τ', 'Υ', 'Φ', 'Χ', 'Ψ', 'Ω', // 0x90
    'α', 'β', 'γ', 'δ', 'ε', 'ζ', 'η', 'θ', // 0x98
    'ι', 'κ', 'λ', 'μ', 'ν', 'ξ', 'ο', 'π', // 0xA0
    'ρ', 'σ', 'ς', 'τ', 'υ', 'φ', 'χ', 'ψ', // 0xA8
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', // 0xB0
    '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', // 0xB8
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', // 0xC0
    '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', // 0xC8
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', // 0xD0
    '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', // 0xD8
    'ω', 'ά', 'έ', 'ή', 'ϊ', 'ί', 'ό', 'ύ', // 0xE0
    'ϋ', 'ώ', 'Ά', 'Έ', 'Ή', 'Ί', 'Ό', 'Ύ', // 0xE8
    'Ώ', '±', '≥', '≤', 'Ϊ', 'Ϋ', '÷', '≈', // 0xF0
    '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{00A0}', // 0xF8
];

/// PC437 (DOS US), bytes 0x80..=0xFF.
const PC437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', // 0x80
    'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', // 0x88
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', // 0x90
    'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', // 0x98
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', // 0xA0
    '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', // 0xA8
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', // 0xB0
    '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', // 0xB8
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', // 0xC0
    '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', // 0xC8
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', // 0xD0
    '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', // 0xD8
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', // 0xE0
    'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', // 0xE8
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', // 0xF0
    '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{00A0}', // 0xF8
];

/// PC850 (DOS Multilingual), bytes 0x80..=0xFF; PC858 differs only at 0xD5 (euro sign).
const PC850_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', // 0x80
    'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', // 0x88
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', // 0x90
    'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ', // 0x98
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', // 0xA0
    '¿', '®', '¬', '½', '¼', '¡', '«', '»', // 0xA8
    '░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', // 0xB0
    '©', '╣', '║', '╗', '╝', '¢', '¥', '┐', // 0xB8
    '└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', // 0xC0
    '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤', // 0xC8
    'ð', 'Ð', 'Ê', 'Ë', 'È', 'ı', 'Í', 'Î', // 0xD0
    'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀', // 0xD8
    'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', // 0xE0
    'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´', // 0xE8
    '\u{00AD}', '±', '‗', '¾', '¶', '§', '÷', '¸', // 0xF0
    '°', '¨', '·', '¹', '³', '²', '■', '\u{00A0}', // 0xF8
];

#[cfg(test)]
#[path = "codepage_tests.rs"]
mod tests;
