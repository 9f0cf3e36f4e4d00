//! 990 Response to a Load Tender: the carrier's accept or decline of a 204.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{Reference, finish, read_n9};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::EdiError;
use crate::values::Mapper;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TenderResponse990 {
    /// B101.
    pub scac: Option<String>,
    /// B102, the 204's shipment identification number.
    pub shipment_id: String,
    /// B103.
    pub date: Option<Date>,
    /// B104 reservation action code: `A` accepted, `D` declined.
    pub action: String,
    /// B105 reservation declined reason code.
    pub decline_reason: Option<String>,
    pub references: Vec<Reference>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

impl TenderResponse990 {
    pub fn accepted(&self) -> bool {
        self.action == "A"
    }
}

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<TenderResponse990> {
    let mut m = Mapper::new(set, options, "990")?;
    let mut out = TenderResponse990::default();
    let mut seen_b1 = false;
    for (i, seg) in m.segments() {
        match seg.id() {
            "B1" => {
                seen_b1 = true;
                out.scac = m.text(seg, 1);
                out.shipment_id = m.required(i, seg, 2, 145, "B102 shipment identification number");
                let date = m.date(i, seg, 3, 373);
                out.date = m.require(date, i, seg, 3, 373, "B103 date");
                out.action = m.required(i, seg, 4, 0, "B104 reservation action code");
                out.decline_reason = m.text(seg, 5);
            }
            "N9" => out.references.push(read_n9(seg)),
            _ => {}
        }
    }
    if !seen_b1 {
        m.missing_segment("B1", "beginning segment for booking or pick-up/delivery");
    }
    finish(m, out, |v| &mut v.warnings)
}
