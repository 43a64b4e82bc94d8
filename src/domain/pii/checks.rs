//! The arithmetic behind the PII detectors: the Luhn check and issuer prefixes of card numbers, and the
//! ISO 13616 lengths and mod-97 check of IBANs. Pure functions on ASCII strings; imports nothing.

/// Issuer prefixes and the lengths their card numbers come in: (first prefix, last prefix, shortest, longest).
/// Prefixes in a row have as many digits as `first`. Visa's legacy 13-digit numbers are left out: a Luhn-valid
/// 13-digit number is far more often an EAN-13 barcode than a card.
const CARD_ISSUERS: &[(u32, u32, usize, usize)] = &[
    (4, 4, 16, 19),       // Visa
    (51, 55, 16, 16),     // Mastercard
    (2221, 2720, 16, 16), // Mastercard 2-series
    (2200, 2204, 16, 16), // Mir
    (34, 34, 15, 15),     // American Express
    (37, 37, 15, 15),     // American Express
    (300, 305, 14, 19),   // Diners Club
    (36, 36, 14, 19),     // Diners Club
    (38, 39, 14, 19),     // Diners Club
    (6011, 6011, 16, 19), // Discover
    (644, 649, 16, 19),   // Discover
    (65, 65, 16, 19),     // Discover, RuPay
    (3528, 3589, 16, 19), // JCB
    (62, 62, 16, 19),     // UnionPay
    (81, 82, 16, 16),     // UnionPay, RuPay
    (50, 50, 16, 19),     // Maestro
    (56, 58, 16, 19),     // Maestro
    (60, 60, 16, 19),     // RuPay, Maestro
    (63, 63, 16, 19),     // Maestro
    (67, 67, 16, 19),     // Maestro
];

/// Whether `digits` (ASCII digits only) passes the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let d = u32::from(b - b'0');
        sum += if i % 2 == 1 { if d > 4 { 2 * d - 9 } else { 2 * d } } else { d };
    }
    !digits.is_empty() && sum % 10 == 0
}

/// Whether `digits` (ASCII digits only) is a card number: a known issuer prefix, a length that issuer uses
/// and a valid Luhn check digit.
pub fn is_card_number(digits: &str) -> bool {
    let issued = CARD_ISSUERS.iter().any(|&(first, last, shortest, longest)| {
        let prefix_len = first.to_string().len();
        let prefix: u32 = digits.get(..prefix_len).and_then(|p| p.parse().ok()).unwrap_or(0);
        (first..=last).contains(&prefix) && (shortest..=longest).contains(&digits.len())
    });
    issued && luhn_valid(digits)
}

/// IBAN lengths by country, from the ISO 13616 registry (SWIFT's IBAN registry, 2024).
const IBAN_LENGTHS: &str = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 \
    DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 \
    JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 \
    PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 \
    VA22 VG24 XK20 YE30";

/// The length of an IBAN from `country` (two upper-case letters), or `None` for a country without IBANs.
pub fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .split_whitespace()
        .find(|entry| entry.get(..2) == Some(country))
        .and_then(|entry| entry[2..].parse().ok())
}

/// Whether `iban` (compact: letters and digits, no spaces) passes the ISO 13616 mod-97 check: with the first
/// four characters moved to the end and letters read as 10..35, the number leaves 1 when divided by 97.
pub fn iban_checksum_valid(iban: &str) -> bool {
    if iban.len() < 5 || !iban.is_ascii() {
        return false;
    }
    let mut remainder = 0u32;
    for c in iban[4..].chars().chain(iban[..4].chars()) {
        let Some(value) = c.to_digit(36) else { return false };
        remainder = if value < 10 { remainder * 10 + value } else { remainder * 100 + value } % 97;
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_a_changed_digit() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn card_numbers_need_an_issuer_prefix_and_its_length() {
        for good in ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "30569309025904"] {
            assert!(is_card_number(good), "{good}");
        }
        // An IMEI (Luhn-valid, 15 digits, TAC 35) and an EAN-13 barcode are not cards.
        assert!(!is_card_number("356938035643809"));
        assert!(!is_card_number("4006381333931"));
        assert!(!is_card_number("1111111111111117"));
    }

    #[test]
    fn iban_checks_length_table_and_mod_97() {
        assert_eq!(iban_length("DE"), Some(22));
        assert_eq!(iban_length("NO"), Some(15));
        assert_eq!(iban_length("US"), None);
        assert!(iban_checksum_valid("DE89370400440532013000"));
        assert!(iban_checksum_valid("GB29NWBK60161331926819"));
        assert!(!iban_checksum_valid("DE89370400440532013001"));
        assert!(!iban_checksum_valid("DE8937040044053201300!"));
    }
}
