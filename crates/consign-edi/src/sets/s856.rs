//! 856 Ship Notice/Manifest: the HL hierarchy (shipment, order, tare, pack, item) rebuilt as a
//! tree from HL01/HL02, with each level's detail segments attached to it.

use std::collections::HashMap;

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{Party, Reference, extend_party, finish, read_n1, read_n9};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::{EdiError, ErrorKind, quoted};
use crate::tokenizer::Segment;
use crate::values::Mapper;

/// Real 856s nest five levels or so; the cap keeps a hostile file from building a tree deep
/// enough to overflow the stack when it is dropped or compared.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShipNotice856 {
    /// BSN01 transaction set purpose code, e.g. `00` original.
    pub purpose: String,
    /// BSN02.
    pub shipment_id: String,
    /// BSN03.
    pub date: Option<Date>,
    /// BSN04.
    pub time: Option<Time>,
    /// BSN05 hierarchical structure code, e.g. `0001` shipment/order/packaging/item.
    pub structure_code: Option<String>,
    /// Header DTM dates (before the first HL).
    pub dates: Vec<DateTimeStamp>,
    /// Top-level HL loops (no parent), each with its subtree.
    pub levels: Vec<HierarchyLevel>,
    /// CTT01 number of line items, if sent.
    pub line_item_count: Option<u32>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

impl ShipNotice856 {
    /// Every level, depth first, in document order.
    pub fn walk(&self) -> Vec<&HierarchyLevel> {
        let mut out = Vec::new();
        let mut stack: Vec<&HierarchyLevel> = self.levels.iter().rev().collect();
        while let Some(l) = stack.pop() {
            out.push(l);
            stack.extend(l.children.iter().rev());
        }
        out
    }
}

/// HL03 hierarchical level code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LevelCode {
    /// `S`
    Shipment,
    /// `O`
    Order,
    /// `T`
    Tare,
    /// `P`
    Pack,
    /// `I`
    Item,
    /// Any other code, as sent.
    Other(String),
}

impl LevelCode {
    pub fn from_code(code: &str) -> Self {
        match code {
            "S" => Self::Shipment,
            "O" => Self::Order,
            "T" => Self::Tare,
            "P" => Self::Pack,
            "I" => Self::Item,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Shipment => "S",
            Self::Order => "O",
            Self::Tare => "T",
            Self::Pack => "P",
            Self::Item => "I",
            Self::Other(c) => c,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HierarchyLevel {
    /// HL01.
    pub id: String,
    /// HL02.
    pub parent_id: Option<String>,
    /// HL03.
    pub level: LevelCode,
    /// HL04 hierarchical child code.
    pub child_code: Option<String>,
    pub carrier_details: Vec<CarrierDetails>,
    pub routing: Vec<Routing>,
    pub references: Vec<Reference>,
    pub dates: Vec<DateTimeStamp>,
    pub marks: Vec<Marks>,
    pub items: Vec<ItemId>,
    pub quantities: Vec<ItemDetail>,
    pub purchase_orders: Vec<PurchaseOrderRef>,
    pub parties: Vec<Party>,
    pub children: Vec<HierarchyLevel>,
}

/// TD1 carrier details (quantity and weight).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CarrierDetails {
    /// TD101 packaging code, e.g. `CTN25`.
    pub packaging_code: Option<String>,
    /// TD102.
    pub lading_quantity: Option<u32>,
    /// TD106 weight qualifier.
    pub weight_qualifier: Option<String>,
    /// TD107.
    pub weight: Option<Decimal>,
    /// TD108.
    pub weight_unit: Option<String>,
    /// TD109.
    pub volume: Option<Decimal>,
    /// TD110.
    pub volume_unit: Option<String>,
}

/// TD5 carrier details (routing sequence and transit time).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Routing {
    pub sequence_code: Option<String>,
    pub id_qualifier: Option<String>,
    /// TD503, usually the SCAC.
    pub id: Option<String>,
    /// TD504 transportation method/type code.
    pub transport_method: Option<String>,
    /// TD505.
    pub routing: Option<String>,
}

/// DTM date/time reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DateTimeStamp {
    /// DTM01 date/time qualifier (element 374), e.g. `011` shipped.
    pub qualifier: String,
    pub date: Option<Date>,
    pub time: Option<Time>,
    pub time_code: Option<String>,
}

/// MAN marks and numbers (e.g. an SSCC-18 with qualifier `GM`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Marks {
    pub qualifier: String,
    pub number: String,
}

/// LIN item identification: assigned id and (qualifier, id) pairs, e.g. (`UP`, UPC).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemId {
    pub assigned_id: Option<String>,
    pub ids: Vec<(String, String)>,
}

/// SN1 item detail (shipment).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemDetail {
    pub assigned_id: Option<String>,
    /// SN102 number of units shipped.
    pub units_shipped: Option<Decimal>,
    /// SN103 unit of measure.
    pub unit: Option<String>,
    /// SN104 quantity shipped to date.
    pub shipped_to_date: Option<Decimal>,
    /// SN105 quantity ordered.
    pub ordered: Option<Decimal>,
    /// SN106 unit of measure of SN105.
    pub ordered_unit: Option<String>,
}

/// PRF purchase order reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PurchaseOrderRef {
    pub po_number: String,
    pub release_number: Option<String>,
    pub change_sequence: Option<String>,
    pub date: Option<Date>,
}

fn read_dtm(m: &mut Mapper<'_, '_>, i: usize, seg: &Segment<'_>) -> DateTimeStamp {
    DateTimeStamp {
        qualifier: m.required(i, seg, 1, 374, "DTM01 date/time qualifier"),
        date: m.date(i, seg, 2, 373),
        time: m.time(i, seg, 3, 337),
        time_code: m.time_code(i, seg, 4),
    }
}

struct Node {
    level: HierarchyLevel,
    parent: Option<usize>,
    depth: usize,
}

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<ShipNotice856> {
    let mut m = Mapper::new(set, options, "856")?;
    let mut out = ShipNotice856::default();
    let mut seen_bsn = false;
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut party: Option<Party> = None;
    for (i, seg) in m.segments() {
        let id = seg.id();
        if id == "HL" {
            if let (Some(p), Some(n)) = (party.take(), nodes.last_mut()) {
                n.level.parties.push(p);
            }
            let hl01: String = m.required(i, seg, 1, 628, "HL01 hierarchical id number");
            let parent_id: Option<String> = m.text(seg, 2);
            let level: String = m.required(i, seg, 3, 735, "HL03 hierarchical level code");
            let mut parent = None;
            let mut depth = 0;
            if let Some(pid) = &parent_id {
                match by_id.get(pid) {
                    Some(&p) => {
                        parent = Some(p);
                        depth = nodes.get(p).map_or(0, |n| n.depth + 1);
                    }
                    None => m.segment_fault(
                        i,
                        seg,
                        ErrorKind::InvalidHierarchy,
                        format!(
                            "HL02 parent {} is not an earlier HL01; level kept at the top",
                            quoted(pid.as_bytes())
                        ),
                    ),
                }
            }
            if depth >= MAX_DEPTH {
                m.segment_fault(
                    i,
                    seg,
                    ErrorKind::InvalidHierarchy,
                    format!("HL nesting deeper than {MAX_DEPTH} levels; level kept at the top"),
                );
                parent = None;
                depth = 0;
            }
            if by_id.insert(hl01.clone(), nodes.len()).is_some() {
                m.segment_fault(
                    i,
                    seg,
                    ErrorKind::InvalidHierarchy,
                    format!(
                        "HL01 {} is used twice; later children attach to the last one",
                        quoted(hl01.as_bytes())
                    ),
                );
            }
            nodes.push(Node {
                level: HierarchyLevel {
                    id: hl01,
                    parent_id,
                    level: LevelCode::from_code(&level),
                    child_code: m.text(seg, 4),
                    carrier_details: Vec::new(),
                    routing: Vec::new(),
                    references: Vec::new(),
                    dates: Vec::new(),
                    marks: Vec::new(),
                    items: Vec::new(),
                    quantities: Vec::new(),
                    purchase_orders: Vec::new(),
                    parties: Vec::new(),
                    children: Vec::new(),
                },
                parent,
                depth,
            });
            continue;
        }
        match id {
            "BSN" => {
                seen_bsn = true;
                out.purpose = m.required(i, seg, 1, 353, "BSN01 transaction set purpose code");
                out.shipment_id = m.required(i, seg, 2, 396, "BSN02 shipment identification");
                let date = m.date(i, seg, 3, 373);
                out.date = m.require(date, i, seg, 3, 373, "BSN03 date");
                let time = m.time(i, seg, 4, 337);
                out.time = m.require(time, i, seg, 4, 337, "BSN04 time");
                out.structure_code = m.text(seg, 5);
                continue;
            }
            "CTT" => {
                out.line_item_count = m.count(i, seg, 1, 354);
                continue;
            }
            "DTM" if nodes.is_empty() => {
                let d = read_dtm(&mut m, i, seg);
                out.dates.push(d);
                continue;
            }
            _ => {}
        }
        let Some(node) = nodes.last_mut() else {
            continue;
        };
        let level = &mut node.level;
        match id {
            "TD1" => level.carrier_details.push(CarrierDetails {
                packaging_code: m.text(seg, 1),
                lading_quantity: m.count(i, seg, 2, 80),
                weight_qualifier: m.text(seg, 6),
                weight: m.decimal(i, seg, 7, 81),
                weight_unit: m.text(seg, 8),
                volume: m.decimal(i, seg, 9, 183),
                volume_unit: m.text(seg, 10),
            }),
            "TD5" => level.routing.push(Routing {
                sequence_code: m.text(seg, 1),
                id_qualifier: m.text(seg, 2),
                id: m.text(seg, 3),
                transport_method: m.text(seg, 4),
                routing: m.text(seg, 5),
            }),
            "REF" => level.references.push(read_n9(seg)),
            "DTM" => {
                let d = read_dtm(&mut m, i, seg);
                level.dates.push(d);
            }
            "MAN" => level.marks.push(Marks {
                qualifier: m.required(i, seg, 1, 88, "MAN01 marks and numbers qualifier"),
                number: m.required(i, seg, 2, 87, "MAN02 marks and numbers"),
            }),
            "LIN" => {
                // One pass over the pairs: LIN may carry many of them.
                let mut ids = Vec::new();
                let mut rest = seg.elements().skip(1);
                while let Some(q) = rest.next() {
                    let v = rest.next();
                    let v = v.map(|e| e.text().into_owned()).unwrap_or_default();
                    let q = q.text().into_owned();
                    if !(q.is_empty() && v.is_empty()) {
                        ids.push((q, v));
                    }
                }
                level.items.push(ItemId {
                    assigned_id: m.text(seg, 1),
                    ids,
                });
            }
            "SN1" => {
                let units = m.decimal(i, seg, 2, 382);
                level.quantities.push(ItemDetail {
                    assigned_id: m.text(seg, 1),
                    units_shipped: m.require(
                        units,
                        i,
                        seg,
                        2,
                        382,
                        "SN102 number of units shipped",
                    ),
                    unit: m.text(seg, 3),
                    shipped_to_date: m.decimal(i, seg, 4, 646),
                    ordered: m.decimal(i, seg, 5, 330),
                    ordered_unit: m.text(seg, 6),
                });
            }
            "PRF" => level.purchase_orders.push(PurchaseOrderRef {
                po_number: m.required(i, seg, 1, 324, "PRF01 purchase order number"),
                release_number: m.text(seg, 2),
                change_sequence: m.text(seg, 3),
                date: m.date(i, seg, 4, 373),
            }),
            "N1" => {
                if let Some(p) = party.take() {
                    level.parties.push(p);
                }
                party = Some(read_n1(&mut m, i, seg));
            }
            "N2" | "N3" | "N4" => {
                if let Some(p) = party.as_mut() {
                    extend_party(p, seg);
                }
            }
            _ => {}
        }
    }
    if let (Some(p), Some(n)) = (party.take(), nodes.last_mut()) {
        n.level.parties.push(p);
    }
    if !seen_bsn {
        m.missing_segment("BSN", "beginning segment for ship notice");
    }
    if nodes.is_empty() {
        m.missing_segment("HL", "hierarchical level");
    }
    out.levels = build_tree(nodes);
    finish(m, out, |v| &mut v.warnings)
}

/// Assembles the tree without recursion: parents always precede children, so walking backwards
/// every node's children are complete when the node itself is moved into its parent.
fn build_tree(nodes: Vec<Node>) -> Vec<HierarchyLevel> {
    let parents: Vec<Option<usize>> = nodes.iter().map(|n| n.parent).collect();
    let mut slots: Vec<Option<HierarchyLevel>> = nodes.into_iter().map(|n| Some(n.level)).collect();
    let mut roots = Vec::new();
    for idx in (0..slots.len()).rev() {
        let Some(mut level) = slots.get_mut(idx).and_then(Option::take) else {
            continue;
        };
        level.children.reverse();
        match parents.get(idx).copied().flatten() {
            Some(p) if p < idx => match slots.get_mut(p).and_then(Option::as_mut) {
                Some(parent) => parent.children.push(level),
                None => roots.push(level),
            },
            _ => roots.push(level),
        }
    }
    roots.reverse();
    roots
}
