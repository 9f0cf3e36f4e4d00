//! Money: a decimal amount with an ISO 4217 currency. Never a float. The store keeps amounts
//! as integers in the currency's minor unit so SQL sums and sorts are exact on both engines.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 4217 alphabetic code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, String> {
        let c = code.trim();
        if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(c.to_ascii_uppercase()))
        } else {
            Err(format!(
                "'{code}' is not a three-letter ISO 4217 currency code"
            ))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point in the minor unit (ISO 4217 list, the common cases).
    pub fn exponent(&self) -> u32 {
        match self.0.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Converts a decimal amount to integer minor units, refusing amounts with more precision than
/// the currency has (silently rounding a price would be silent data loss).
pub fn to_minor(amount: Decimal, currency: &Currency) -> Result<i64, String> {
    let exp = currency.exponent();
    let normalized = amount.normalize();
    if normalized.scale() > exp {
        return Err(format!(
            "{amount} has more than {exp} decimal places, which {currency} does not allow"
        ));
    }
    let scaled = amount
        .checked_mul(Decimal::from(10i64.pow(exp)))
        .ok_or_else(|| format!("{amount} is too large"))?;
    i64::try_from(scaled.trunc()).map_err(|_| format!("{amount} is too large"))
}

pub fn from_minor(minor: i64, currency: &Currency) -> Decimal {
    Decimal::new(minor, currency.exponent())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn minor_units_round_trip_and_reject_excess_precision() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(usd.code(), "USD");
        assert_eq!(
            to_minor(Decimal::from_str("12.34").unwrap(), &usd),
            Ok(1234)
        );
        assert_eq!(from_minor(1234, &usd), Decimal::from_str("12.34").unwrap());
        assert!(to_minor(Decimal::from_str("1.001").unwrap(), &usd).is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(to_minor(Decimal::from_str("500").unwrap(), &jpy), Ok(500));
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
        let huge = Decimal::from_str("1000000000000000000000000000").unwrap();
        assert_eq!(to_minor(huge, &usd), Err(format!("{huge} is too large")));
    }
}
