//! Orders: what a customer asked for, the promise made to them, and the only changes allowed
//! before anything ships (address change, cancel, promise change), each with a reason.

use crate::ids::{CustomerId, OrderId, TenantId};
use crate::money::{Currency, to_minor};
use crate::tenant::validate_name;
use crate::time::check_plausible;
pub use crate::vocab::{Channel, OrderStatus};
use crate::{FieldError, Invalid};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

impl OrderStatus {
    /// Nothing has left the warehouse yet: the only states in which changes are accepted.
    pub fn is_changeable(self) -> bool {
        matches!(self, OrderStatus::Received | OrderStatus::Released)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl Address {
    pub fn validate(&self, prefix: &str, inv: &mut Invalid) {
        validate_name(&self.name, &format!("{prefix}.name"), 200, inv);
        validate_name(&self.line1, &format!("{prefix}.line1"), 200, inv);
        validate_name(&self.city, &format!("{prefix}.city"), 100, inv);
        validate_name(&self.postal_code, &format!("{prefix}.postal_code"), 20, inv);
        validate_country(&self.country, &format!("{prefix}.country"), inv);
    }
}

pub fn validate_country(c: &str, field: &str, inv: &mut Invalid) {
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        inv.push(
            field,
            format!("'{c}' is not an ISO 3166-1 alpha-2 country code (two upper-case letters)"),
        );
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl CustomerInfo {
    /// The key under which a tenant's customer record is found again: e-mail when given
    /// (people share names), else the name.
    pub fn key(&self) -> String {
        match &self.email {
            Some(e) if !e.trim().is_empty() => e.trim().to_lowercase(),
            _ => self.name.trim().to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub line_no: u32,
    pub sku: String,
    pub description: String,
    pub quantity: u32,
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    pub id: OrderId,
    pub tenant_id: TenantId,
    /// Human reference from the tenant's counter (`ORD-000042`).
    pub number: String,
    /// The client's own order reference; unique per tenant.
    pub external_ref: String,
    pub customer_id: CustomerId,
    pub customer: CustomerInfo,
    pub ship_to: Address,
    pub channel: Channel,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub promised_by: Option<Timestamp>,
    pub status: OrderStatus,
    pub ordered_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every stored change; updates name the version they read (optimistic lock).
    pub version: i64,
}

impl Order {
    pub fn total(&self) -> Decimal {
        self.lines
            .iter()
            .map(|l| l.unit_price * Decimal::from(l.quantity))
            .sum()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrderLine {
    pub sku: String,
    #[serde(default)]
    pub description: String,
    pub quantity: i64,
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub external_ref: String,
    pub customer: CustomerInfo,
    pub ship_to: Address,
    pub channel: Channel,
    #[serde(default = "default_currency")]
    pub currency: String,
    pub lines: Vec<NewOrderLine>,
    #[serde(default)]
    pub promised_by: Option<Timestamp>,
    /// When the customer placed it; defaults to now (set for history imports).
    #[serde(default)]
    pub ordered_at: Option<Timestamp>,
}

fn default_currency() -> String {
    "USD".into()
}

pub const MAX_LINES: usize = 500;
pub const MAX_QUANTITY: i64 = 1_000_000;

/// Everything about an accepted order except what the store assigns (number, customer id).
#[derive(Debug, Clone)]
pub struct AcceptedOrder {
    pub external_ref: String,
    pub customer: CustomerInfo,
    pub ship_to: Address,
    pub channel: Channel,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub promised_by: Option<Timestamp>,
    pub ordered_at: Timestamp,
}

impl AcceptedOrder {
    /// The order as received, under the id, number and customer the store gave it; `now` is
    /// when it was recorded.
    pub fn into_order(
        self,
        id: OrderId,
        tenant_id: TenantId,
        number: String,
        customer_id: CustomerId,
        now: Timestamp,
    ) -> Order {
        Order {
            id,
            tenant_id,
            number,
            external_ref: self.external_ref,
            customer_id,
            customer: self.customer,
            ship_to: self.ship_to,
            channel: self.channel,
            currency: self.currency,
            lines: self.lines,
            promised_by: self.promised_by,
            status: OrderStatus::Received,
            ordered_at: self.ordered_at,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

pub fn validate_reference(r: &str, field: &str, inv: &mut Invalid) {
    if r.trim().is_empty() {
        inv.push(field, "must not be empty");
    } else if r.len() > 64 {
        inv.push(field, "must be at most 64 characters");
    } else if r.chars().any(|c| c.is_control()) {
        inv.push(field, "must not contain control characters");
    }
}

impl NewOrder {
    pub fn accept(self, now: Timestamp) -> Result<AcceptedOrder, Invalid> {
        let mut inv = Invalid::default();
        validate_reference(&self.external_ref, "external_ref", &mut inv);
        validate_name(&self.customer.name, "customer.name", 200, &mut inv);
        if let Some(e) = &self.customer.email
            && !e.is_empty()
            && (!e.contains('@') || e.len() > 254)
        {
            inv.push("customer.email", format!("'{e}' is not an e-mail address"));
        }
        self.ship_to.validate("ship_to", &mut inv);
        let currency = match Currency::parse(&self.currency) {
            Ok(c) => Some(c),
            Err(e) => {
                inv.push("currency", e);
                None
            }
        };
        if self.lines.is_empty() {
            inv.push("lines", "an order needs at least one line");
        } else if self.lines.len() > MAX_LINES {
            inv.push("lines", format!("at most {MAX_LINES} lines per order"));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let p = format!("lines[{i}]");
            validate_reference(&l.sku, &format!("{p}.sku"), &mut inv);
            if l.quantity <= 0 {
                inv.push(
                    format!("{p}.quantity"),
                    format!("must be at least 1, got {}", l.quantity),
                );
            } else if l.quantity > MAX_QUANTITY {
                inv.push(
                    format!("{p}.quantity"),
                    format!("{} is above the limit of {MAX_QUANTITY}", l.quantity),
                );
            }
            if l.unit_price.is_sign_negative() {
                inv.push(format!("{p}.unit_price"), "must not be negative");
            } else if let Some(c) = &currency
                && let Err(e) = to_minor(l.unit_price, c)
            {
                inv.push(format!("{p}.unit_price"), e);
            }
            lines.push(OrderLine {
                line_no: i as u32 + 1,
                sku: l.sku.trim().to_string(),
                description: l.description.trim().to_string(),
                quantity: l.quantity.clamp(0, MAX_QUANTITY) as u32,
                unit_price: l.unit_price,
            });
        }
        let ordered_at = self.ordered_at.unwrap_or(now);
        if let Some(o) = self.ordered_at {
            check_plausible("ordered_at", o, now, &mut inv);
            if o > now + jiff::SignedDuration::from_mins(5) {
                inv.push("ordered_at", "must not be in the future");
            }
        }
        if let Some(p) = self.promised_by {
            check_plausible("promised_by", p, now, &mut inv);
            if p < ordered_at {
                inv.push("promised_by", "must not be before the order was placed");
            }
        }
        let Some(currency) = currency else {
            return Err(inv);
        };
        // The total is stored in minor units as a 64-bit integer; check it fits here rather
        // than fail at the database.
        if inv.is_empty() {
            let total = lines.iter().try_fold(Decimal::ZERO, |acc, l| {
                l.unit_price
                    .checked_mul(Decimal::from(l.quantity))
                    .and_then(|x| acc.checked_add(x))
            });
            if total.is_none_or(|t| to_minor(t, &currency).is_err()) {
                inv.push("lines", "the order total is too large");
            }
        }
        inv.into_result(AcceptedOrder {
            external_ref: self.external_ref.trim().to_string(),
            customer: CustomerInfo {
                name: self.customer.name.trim().into(),
                email: self
                    .customer
                    .email
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty()),
                phone: self
                    .customer
                    .phone
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty()),
            },
            ship_to: self.ship_to,
            channel: self.channel,
            currency,
            lines,
            promised_by: self.promised_by,
            ordered_at,
        })
    }
}

/// A requested change. Tagged by `kind` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangeKind {
    AddressChange { ship_to: Address },
    Cancel,
    PromiseChange { promised_by: Timestamp },
}

impl ChangeKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChangeKind::AddressChange { .. } => "address_change",
            ChangeKind::Cancel => "cancel",
            ChangeKind::PromiseChange { .. } => "promise_change",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeRequest {
    #[serde(flatten)]
    pub kind: ChangeKind,
    pub reason: String,
}

/// Why a change was refused: either the request itself is malformed, or the order's state
/// no longer allows it (a conflict, not a validation problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefused {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Conflict(String),
}

/// Applies a change request to an order, returning the changed order. Pure: the caller stores
/// the result with the audit record in one transaction.
pub fn apply_change(
    order: &Order,
    req: &ChangeRequest,
    now: Timestamp,
) -> Result<Order, ChangeRefused> {
    let mut inv = Invalid::default();
    if req.reason.trim().is_empty() {
        inv.push("reason", "a change request needs a reason");
    } else if req.reason.len() > 1000 {
        inv.push("reason", "must be at most 1000 characters");
    }
    match &req.kind {
        ChangeKind::AddressChange { ship_to } => ship_to.validate("ship_to", &mut inv),
        ChangeKind::PromiseChange { promised_by } => {
            check_plausible("promised_by", *promised_by, now, &mut inv);
            if *promised_by < order.ordered_at {
                inv.push("promised_by", "must not be before the order was placed");
            }
        }
        ChangeKind::Cancel => {}
    }
    if !inv.is_empty() {
        return Err(inv.into());
    }
    if !order.status.is_changeable() {
        return Err(ChangeRefused::Conflict(format!(
            "order {} is {}; {} is allowed only while nothing has shipped",
            order.number,
            order.status.as_str(),
            req.kind.name()
        )));
    }
    let mut next = order.clone();
    match &req.kind {
        ChangeKind::AddressChange { ship_to } => next.ship_to = ship_to.clone(),
        ChangeKind::Cancel => next.status = OrderStatus::Cancelled,
        ChangeKind::PromiseChange { promised_by } => next.promised_by = Some(*promised_by),
    }
    next.updated_at = now;
    next.version += 1;
    Ok(next)
}

/// The order status implied by what has shipped and been delivered so far.
/// `shipped[i]` and `delivered[i]` are quantities of line `i + 1`.
pub fn status_from_fulfilment(order: &Order, shipped: &[u32], delivered: &[u32]) -> OrderStatus {
    if order.status == OrderStatus::Cancelled {
        return OrderStatus::Cancelled;
    }
    let qty = |v: &[u32], i: usize| v.get(i).copied().unwrap_or(0);
    let all = |v: &[u32]| {
        order
            .lines
            .iter()
            .enumerate()
            .all(|(i, l)| qty(v, i) >= l.quantity)
    };
    let any = |v: &[u32]| order.lines.iter().enumerate().any(|(i, _)| qty(v, i) > 0);
    if all(delivered) {
        OrderStatus::Delivered
    } else if all(shipped) {
        OrderStatus::Shipped
    } else if any(shipped) {
        OrderStatus::PartiallyShipped
    } else if order.status == OrderStatus::Received {
        OrderStatus::Received
    } else {
        OrderStatus::Released
    }
}

/// Checks that the lines a shipment claims to carry exist, are each named once, and do not
/// exceed what is still unshipped on the order. Named twice, each entry would be checked alone
/// against what is unshipped, and together they could ship more than was ordered.
pub fn check_shipment_lines(
    order: &Order,
    already_shipped: &[u32],
    lines: &[(u32, u32)],
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, (line_no, q)) in lines.iter().enumerate() {
        if let Some(first) = lines[..i].iter().position(|(n, _)| n == line_no) {
            errs.push(FieldError::new(
                format!("lines[{i}].line_no"),
                format!("line {line_no} is already named in lines[{first}]; name each line once"),
            ));
            continue;
        }
        let Some(l) = order.lines.iter().find(|l| l.line_no == *line_no) else {
            errs.push(FieldError::new(
                format!("lines[{i}].line_no"),
                format!("order {} has no line {line_no}", order.number),
            ));
            continue;
        };
        let done = already_shipped
            .get(*line_no as usize - 1)
            .copied()
            .unwrap_or(0);
        if *q == 0 {
            errs.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "must be at least 1",
            ));
        } else if *q > l.quantity.saturating_sub(done) {
            errs.push(FieldError::new(
                format!("lines[{i}].quantity"),
                format!(
                    "line {line_no} has {} unshipped of {}, cannot ship {q}",
                    l.quantity.saturating_sub(done),
                    l.quantity
                ),
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn new_order() -> NewOrder {
        NewOrder {
            external_ref: "PO-1".into(),
            customer: CustomerInfo {
                name: "Ann".into(),
                email: Some("ann@example.com".into()),
                phone: None,
            },
            ship_to: Address {
                name: "Ann".into(),
                line1: "1 Main St".into(),
                line2: None,
                city: "Austin".into(),
                region: Some("TX".into()),
                postal_code: "78701".into(),
                country: "US".into(),
            },
            channel: Channel::B2c,
            currency: "USD".into(),
            lines: vec![NewOrderLine {
                sku: "SKU-1".into(),
                description: "Widget".into(),
                quantity: 2,
                unit_price: Decimal::from_str("9.99").unwrap(),
            }],
            promised_by: Some(ts("2026-01-05T00:00:00Z")),
            ordered_at: Some(ts("2026-01-01T00:00:00Z")),
        }
    }

    fn order_from(a: AcceptedOrder) -> Order {
        let at = a.ordered_at;
        a.into_order(
            OrderId::random(),
            TenantId::random(),
            "ORD-000001".into(),
            CustomerId::random(),
            at,
        )
    }

    #[test]
    fn bad_lines_are_each_named() {
        let mut o = new_order();
        o.lines.push(NewOrderLine {
            sku: "".into(),
            description: "".into(),
            quantity: -3,
            unit_price: Decimal::from_str("-1").unwrap(),
        });
        o.lines.push(NewOrderLine {
            sku: "X".into(),
            description: "".into(),
            quantity: 1,
            unit_price: Decimal::from_str("0.001").unwrap(),
        });
        let err = o.accept(ts("2026-01-02T00:00:00Z")).err().unwrap();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lines[1].sku",
                "lines[1].quantity",
                "lines[1].unit_price",
                "lines[2].unit_price"
            ]
        );
    }

    #[test]
    fn quantities_and_totals_cannot_overflow() {
        let now = ts("2026-01-02T00:00:00Z");
        let mut o = new_order();
        o.lines[0].unit_price = Decimal::from_str("92233720368547758").unwrap();
        o.lines[0].quantity = 2;
        let err = o.accept(now).err().unwrap();
        assert_eq!(err.errors[0].field, "lines");
        let mut order = order_from(new_order().accept(now).ok().unwrap());
        order.status = OrderStatus::Released;
        // 1 of 2 shipped; u32::MAX more must not wrap around to "fits".
        let errs = check_shipment_lines(&order, &[1], &[(1, u32::MAX)]);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].reason.contains("1 unshipped"), "{}", errs[0].reason);
    }

    #[test]
    fn absurd_dates_are_rejected() {
        let mut o = new_order();
        o.promised_by = Some(ts("2199-01-01T00:00:00Z"));
        let err = o.accept(ts("2026-01-02T00:00:00Z")).err().unwrap();
        assert_eq!(err.errors[0].field, "promised_by");
    }

    #[test]
    fn changes_only_before_shipping() {
        let now = ts("2026-01-02T00:00:00Z");
        let mut order = order_from(new_order().accept(now).ok().unwrap());
        let req = ChangeRequest {
            kind: ChangeKind::PromiseChange {
                promised_by: ts("2026-01-09T00:00:00Z"),
            },
            reason: "customer asked".into(),
        };
        let changed = apply_change(&order, &req, now).unwrap();
        assert_eq!(changed.promised_by, Some(ts("2026-01-09T00:00:00Z")));
        order.status = OrderStatus::PartiallyShipped;
        match apply_change(&order, &req, now) {
            Err(ChangeRefused::Conflict(m)) => assert!(m.contains("partially_shipped"), "{m}"),
            other => panic!("expected conflict, got {other:?}"),
        }
        let no_reason = ChangeRequest {
            kind: ChangeKind::Cancel,
            reason: " ".into(),
        };
        assert!(matches!(
            apply_change(&order, &no_reason, now),
            Err(ChangeRefused::Invalid(_))
        ));
    }

    #[test]
    fn fulfilment_drives_status() {
        let now = ts("2026-01-02T00:00:00Z");
        let mut o = new_order();
        o.lines.push(NewOrderLine {
            sku: "B".into(),
            description: "".into(),
            quantity: 1,
            unit_price: Decimal::ONE,
        });
        let mut order = order_from(o.accept(now).ok().unwrap());
        order.status = OrderStatus::Released;
        for (shipped, delivered, want) in [
            ([0, 0], [0, 0], OrderStatus::Released),
            ([2, 0], [0, 0], OrderStatus::PartiallyShipped),
            ([2, 1], [2, 0], OrderStatus::Shipped),
            ([2, 1], [2, 1], OrderStatus::Delivered),
        ] {
            assert_eq!(
                status_from_fulfilment(&order, &shipped, &delivered),
                want,
                "shipped {shipped:?}, delivered {delivered:?}"
            );
        }
        let errs = check_shipment_lines(&order, &[2, 0], &[(1, 1), (3, 1), (2, 1)]);
        assert_eq!(
            errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["lines[0].quantity", "lines[1].line_no"]
        );
        // Line 1 has 2 ordered: 1 + 1 fits, but not when a third entry names it again.
        let errs = check_shipment_lines(&order, &[0, 0], &[(1, 1), (2, 1), (1, 1)]);
        assert_eq!(
            errs.iter()
                .map(|e| (e.field.as_str(), e.reason.as_str()))
                .collect::<Vec<_>>(),
            [(
                "lines[2].line_no",
                "line 1 is already named in lines[0]; name each line once"
            )]
        );
    }
}

/// A stored change request, as shown on the order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderChange {
    pub id: uuid::Uuid,
    pub order_id: OrderId,
    pub kind: String,
    pub reason: String,
    pub request: serde_json::Value,
    pub actor: String,
    pub at: Timestamp,
}
