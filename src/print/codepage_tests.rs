//! Unit tests of code page encoding, byte for byte, and a cross-check against the escpos crate.
#![cfg(test)]

use super::*;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

#[test]
fn greek_salad_in_cp737() {
    assert_eq!(
        CodePage::Cp737.encode("Χωριάτικη"),
        vec![0x95, 0xE0, 0xA8, 0xA0, 0xE1, 0xAB, 0xA0, 0xA1, 0x9E]
    );
}

#[test]
fn greek_accented_vowels_in_cp737() {
    assert_eq!(
        CodePage::Cp737.encode("άέήίόύώϊϋ"),
        vec![0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xE9, 0xE4, 0xE8]
    );
    assert_eq!(
        CodePage::Cp737.encode("ΆΈΉΊΌΎΏΪΫ"),
        vec![0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF4, 0xF5]
    );
    // CP737 lacks iota/upsilon with dialytika and tonos: the dialytika letter stands in.
    assert_eq!(CodePage::Cp737.encode("ΐΰ"), vec![0xE4, 0xE8]);
    // Final sigma has its own byte.
    assert_eq!(CodePage::Cp737.encode("ςσΣ"), vec![0xAA, 0xA9, 0x91]);
}

#[test]
fn greek_in_windows_and_iso_pages() {
    // "Καφές" = Κ α φ έ ς
    assert_eq!(
        CodePage::Wpc1253.encode("Καφές"),
        vec![0xCA, 0xE1, 0xF6, 0xDD, 0xF2]
    );
    assert_eq!(
        CodePage::Iso8859_7.encode("Καφές"),
        vec![0xCA, 0xE1, 0xF6, 0xDD, 0xF2]
    );
    // Ά sits at 0xA2 in WPC1253 but at 0xB6 in ISO-8859-7.
    assert_eq!(CodePage::Wpc1253.encode("Ά"), vec![0xA2]);
    assert_eq!(CodePage::Iso8859_7.encode("Ά"), vec![0xB6]);
    assert_eq!(CodePage::Wpc1253.encode("ΐ"), vec![0xC0]);
}

#[test]
fn euro_sign_per_page() {
    assert_eq!(CodePage::Pc858.encode("€"), vec![0xD5]);
    assert_eq!(CodePage::Wpc1252.encode("€"), vec![0x80]);
    assert_eq!(CodePage::Wpc1253.encode("€"), vec![0x80]);
    assert_eq!(CodePage::Iso8859_7.encode("€"), vec![0xA4]);
    assert_eq!(CodePage::Cp737.encode("€"), b"?".to_vec());
    assert_eq!(CodePage::Pc437.encode("€"), b"?".to_vec());
    assert_eq!(CodePage::Pc850.encode("€"), b"?".to_vec());
    // PC850's dotless i is where PC858 put the euro sign.
    assert_eq!(CodePage::Pc850.encode("ı"), vec![0xD5]);
    assert_eq!(CodePage::Pc858.encode("ı"), b"?".to_vec());
}

#[test]
fn western_letters() {
    assert_eq!(
        CodePage::Pc437.encode("Crème brûlée"),
        b"Cr\x8ame br\x96l\x82e".to_vec()
    );
    assert_eq!(CodePage::Pc850.encode("Ãñ"), vec![0xC7, 0xA4]);
    assert_eq!(CodePage::Wpc1252.encode("Ãñ"), vec![0xC3, 0xF1]);
}

#[test]
fn missing_characters_become_one_question_mark_each() {
    for page in CodePage::ALL {
        assert_eq!(page.encode("日本🍕"), b"???".to_vec(), "{page}");
        assert_eq!(page.encode("a\u{200B}b"), b"a?b".to_vec(), "{page}");
    }
    // Greek on a Western page, Latin accents on a Greek page.
    assert_eq!(CodePage::Pc850.encode("Σαλάτα"), b"??????".to_vec());
    assert_eq!(CodePage::Cp737.encode("Crème"), b"Cr?me".to_vec());
}

#[test]
fn control_characters_cannot_reach_the_printer() {
    for page in CodePage::ALL {
        assert_eq!(page.encode("\x1b@\x1dV\x10\x04\x7f"), b"?@?V???".to_vec());
        assert_eq!(page.encode("a\u{0085}b\u{009B}c"), b"a?b?c".to_vec());
        assert_eq!(page.encode("one\ntwo\tthree\r"), b"one two three ".to_vec());
    }
}

#[test]
fn one_byte_per_character_and_no_control_bytes() {
    let sample = "Χωριάτικη σαλάτα — “extra” ½ € Crème brûlée ñ ß 日本 🍕 ΐ;\u{037E}";
    for page in CodePage::ALL {
        let bytes = page.encode(sample);
        assert_eq!(bytes.len(), sample.chars().count(), "{page}");
        assert!(bytes.iter().all(|&b| b >= 0x20 && b != 0x7F), "{page}");
    }
}

#[test]
fn combining_accents_compose_or_leave_the_bare_letter() {
    assert_eq!(CodePage::Cp737.encode("α\u{0301}"), vec![0xE1]);
    assert_eq!(CodePage::Cp737.encode("ι\u{0308}"), vec![0xE4]);
    // ϊ + acute is ΐ, which CP737 lacks: the letter keeps its dialytika.
    assert_eq!(CodePage::Cp737.encode("ι\u{0308}\u{0301}"), vec![0xE4]);
    assert_eq!(CodePage::Wpc1253.encode("ι\u{0308}\u{0301}"), vec![0xC0]);
    assert_eq!(CodePage::Pc850.encode("e\u{0301}"), vec![0x82]);
    // PC437 has a Greek epsilon (0xEE) but no epsilon with tonos.
    assert_eq!(CodePage::Pc437.encode("ε\u{0301}"), vec![0xEE]);
    // A mark with nothing before it has no width.
    assert_eq!(CodePage::Pc437.encode("\u{0301}a"), b"a".to_vec());
}

#[test]
fn typographic_stand_ins() {
    assert_eq!(
        CodePage::Cp737.encode("“Hi” – ‘yes’"),
        b"\"Hi\" - 'yes'".to_vec()
    );
    assert_eq!(
        CodePage::Cp737.encode("Τι;\u{037E}"),
        vec![0x92, 0xA0, b';', b';']
    );
    assert_eq!(CodePage::Pc437.encode("2×"), b"2x".to_vec());
    assert_eq!(CodePage::Pc850.encode("2×"), vec![b'2', 0x9E]);
}

#[test]
fn every_upper_byte_round_trips() {
    for page in CodePage::ALL {
        for b in 0xA0..=0xFFu8 {
            let c = page.decode(&[b]);
            if c == "\u{FFFD}" {
                continue; // undefined in this page (e.g. 0xAE in ISO-8859-7)
            }
            assert_eq!(page.encode(&c), vec![b], "{page} byte {b:#04X} ({c:?})");
        }
    }
    for page in [
        CodePage::Cp737,
        CodePage::Pc437,
        CodePage::Pc850,
        CodePage::Pc858,
    ] {
        for b in 0x80..=0x9Fu8 {
            let c = page.decode(&[b]);
            assert_eq!(page.encode(&c), vec![b], "{page} byte {b:#04X} ({c:?})");
        }
    }
}

#[test]
fn names_parse_display_and_deserialize() {
    for page in CodePage::ALL {
        assert_eq!(page.to_string().parse::<CodePage>(), Ok(page));
        let de: StrDeserializer<'_, ValueError> = page.name().into_deserializer();
        assert_eq!(CodePage::deserialize(de), Ok(page));
    }
    assert_eq!("CP737".parse::<CodePage>(), Ok(CodePage::Cp737));
    assert_eq!("windows-1253".parse::<CodePage>(), Ok(CodePage::Wpc1253));
    assert_eq!("ISO-8859-7".parse::<CodePage>(), Ok(CodePage::Iso8859_7));
    assert_eq!("cp858".parse::<CodePage>(), Ok(CodePage::Pc858));
    let err = "utf8".parse::<CodePage>().unwrap_err();
    assert!(
        err.to_string().contains("unknown code page \"utf8\""),
        "{err}"
    );
    assert!(err.to_string().contains("cp737"), "{err}");
}

#[test]
fn epson_numbers() {
    let expected = [
        (CodePage::Pc437, 0),
        (CodePage::Pc850, 2),
        (CodePage::Cp737, 14),
        (CodePage::Iso8859_7, 15),
        (CodePage::Wpc1252, 16),
        (CodePage::Pc858, 19),
        (CodePage::Wpc1253, 47),
    ];
    for (page, n) in expected {
        assert_eq!(page.epson_esc_t(), n, "{page}");
        assert_eq!(CodePage::from_epson_esc_t(n), Some(page));
    }
    assert_eq!(CodePage::from_epson_esc_t(29), None);
}

#[test]
fn can_encode_reports_substitution() {
    assert!(CodePage::Pc858.can_encode("12.50 €"));
    assert!(!CodePage::Cp737.can_encode("12.50 €"));
    assert!(CodePage::Cp737.can_encode("Σύνολο"));
}

mod escpos_cross_check {
    //! The escpos crate's PC737 table, reached through its public `Printer::write`, must agree
    //! with ours on every character it maps.
    use super::CodePage;
    use escpos::driver::Driver;
    use escpos::printer::Printer;
    use escpos::printer_options::PrinterOptions;
    use escpos::utils::{PageCode, Protocol};
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Capture(Rc<RefCell<Vec<u8>>>);

    impl Driver for Capture {
        fn name(&self) -> String {
            "capture".to_owned()
        }
        fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
            self.0.borrow_mut().extend_from_slice(data);
            Ok(())
        }
        fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
            Ok(0)
        }
        fn flush(&self) -> escpos::errors::Result<()> {
            Ok(())
        }
    }

    fn escpos_bytes(page: PageCode, text: &str) -> Vec<u8> {
        let capture = Capture::default();
        let options = PrinterOptions::new(Some(page), None, 48);
        let mut printer = Printer::new(capture.clone(), Protocol::default(), Some(options));
        printer.write(text).unwrap().print().unwrap();
        capture.0.borrow().clone()
    }

    #[test]
    fn cp737_agrees_with_the_escpos_crate() {
        let all: String = (0x80..=0xFFu8)
            .map(|b| CodePage::Cp737.decode(&[b]))
            .collect();
        assert_eq!(all.chars().count(), 128);
        let ours = CodePage::Cp737.encode(&all);
        assert_eq!(ours, (0x80..=0xFFu8).collect::<Vec<u8>>());
        assert_eq!(escpos_bytes(PageCode::PC737, &all), ours);
    }

    #[test]
    fn wpc1253_agrees_with_the_escpos_crate_on_greek_letters() {
        let greek = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρςστυφχψωάέήίόύώϊϋΐΰΆΈΉΊΌΎΏΪΫ";
        assert_eq!(
            escpos_bytes(PageCode::WPC1253, greek),
            CodePage::Wpc1253.encode(greek)
        );
    }
}
