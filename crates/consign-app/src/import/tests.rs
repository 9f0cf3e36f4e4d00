//! Readers end to end: CSV and JSON lines in, orders and shipments or row errors out.

use super::shipments::parse_lines;
use super::*;

#[test]
fn order_level_fields_are_the_order_columns_between_reference_and_lines() {
    assert_eq!(orders::ORDER_LEVEL_FIELDS.first(), Some(&"customer_name"));
    assert_eq!(orders::ORDER_LEVEL_FIELDS.last(), Some(&"promised_by"));
    assert_eq!(orders::ORDER_LEVEL_FIELDS.len(), 14);
}

const HEADER: &str = "external_ref,customer_name,customer_email,ship_to_line1,ship_to_city,ship_to_region,ship_to_postal_code,ship_to_country,channel,sku,quantity,unit_price\n";

#[test]
fn rows_with_one_reference_form_one_order() {
    let csv = format!(
        "{HEADER}PO-1,Ann,ann@x.com,1 Main,Austin,TX,78701,US,b2c,A,2,9.99\nPO-1,Ann,,1 Main,Austin,TX,78701,US,b2c,B,1,5\nPO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,10,9.99\n"
    );
    let orders = read_orders(csv.as_bytes(), Format::Csv, None).unwrap().rows;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].order.lines.len(), 2);
    assert_eq!(orders[0].line_rows, [2, 3]);
    assert_eq!(orders[1].line, 4);
}

#[test]
fn rows_of_one_reference_that_disagree_are_refused_by_line() {
    let csv = format!(
        "{HEADER}PO-1,Ann,ann@x.com,1 Main,Austin,TX,78701,US,b2c,A,2,9.99\nPO-1,Bob,,1 Main,Austin,TX,78701,US,b2c,B,1,5\nPO-1,,,9 Oak,Austin,TX,78701,US,,C,1,5\nPO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,10,9.99\n"
    );
    let file = read_orders(csv.as_bytes(), Format::Csv, None).unwrap();
    let got: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got,
        [
            "line 3, customer_name: 'Bob' differs from line 2 ('Ann') of order 'PO-1': rows of one order must agree on its customer and address",
            "line 4, ship_to_line1: '9 Oak' differs from line 2 ('1 Main') of order 'PO-1': rows of one order must agree on its customer and address",
        ]
    );
    assert_eq!(file.rows.len(), 1, "only PO-2 passes");
    assert_eq!(file.rows[0].order.external_ref, "PO-2");
}

#[test]
fn every_bad_row_is_reported_with_line_and_column() {
    let csv = format!(
        "{HEADER}PO-1,Ann,,1 Main,Austin,TX,78701,US,b2x,A,two,9.99\nPO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,1\n"
    );
    let file = read_orders(csv.as_bytes(), Format::Csv, None).unwrap();
    assert!(
        file.rows.is_empty(),
        "rows with parse problems are not passed on"
    );
    let got: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(got[0], "line 2, quantity: 'two' is not a whole number");
    assert_eq!(
        got[1],
        "line 2, channel: unknown channel 'b2x'; expected b2c or b2b"
    );
    assert_eq!(got[2], "line 3: has 11 fields, the header has 12");
}

#[test]
fn prices_are_read_exactly_or_refused() {
    let row =
        |price: &str| format!("{HEADER}PO-1,Ann,,1 Main,Austin,TX,78701,US,b2c,A,2,{price}\n");
    let ok = read_orders(row("12.340").as_bytes(), Format::Csv, None).unwrap();
    assert!(ok.errors.is_empty(), "{:?}", ok.errors);
    assert_eq!(ok.rows[0].order.lines[0].unit_price.to_string(), "12.340");
    for bad in ["12.340000000000000000000000000001", "1_000", "1e3", "1.2.3"] {
        let file = read_orders(row(bad).as_bytes(), Format::Csv, None).unwrap();
        let got: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
        let want = format!("line 2, unit_price: '{bad}' is not a decimal number");
        assert!(got.iter().any(|g| g.starts_with(&want)), "{bad}: {got:?}");
    }
}

#[test]
fn lines_are_counted_as_the_file_has_them_across_blank_lines_and_quoted_newlines() {
    // 1 header; 2 blank; 3-4 a quoted address over two lines (CRLF inside); 5-6 blank;
    // 7 short a field; 8 a bad quantity.
    let csv = format!(
        "{HEADER}\nPO-1,Ann,,\"1 Main\r\nBack door\",Austin,TX,78701,US,b2c,A,2,9.99\n\n\n\
         PO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,1\nPO-3,Cy,,3 Oak,Waco,TX,76701,US,b2b,A,x,1\n"
    );
    let file = read_orders(csv.as_bytes(), Format::Csv, None).unwrap();
    let got: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got,
        [
            "line 7: has 11 fields, the header has 12",
            "line 8, quantity: 'x' is not a whole number"
        ]
    );
    assert_eq!(file.rows[0].line, 3);
}

#[test]
fn mapping_renames_columns_sets_defaults_and_reads_windows_1252() {
    let mapping = Mapping::parse(
        r#"
[columns]
"Order No" = "external_ref"
"Kunde" = "customer_name"
"Strasse" = "ship_to_line1"
"Ort" = "ship_to_city"
"PLZ" = "ship_to_postal_code"
"Artikel" = "sku"
"Menge" = "quantity"
"Preis" = "unit_price"
"Bestellt" = "ordered_at"
[defaults]
ship_to_country = "DE"
channel = "b2b"
currency = "EUR"
[options]
delimiter = ";"
encoding = "windows-1252"
date_format = "%d.%m.%Y %H:%M"
time_zone = "Europe/Berlin"
ignore = ["Notiz"]
"#,
    )
    .unwrap();
    let mut file = b"Order No;Kunde;Strasse;Ort;PLZ;Artikel;Menge;Preis;Bestellt;Notiz\n".to_vec();
    file.extend_from_slice(
        b"B-1;M\xfcller GmbH;Hauptstr. 1;K\xf6ln;50667;X1;3;12.50;01.03.2026 09:30;egal\n",
    );
    let read = read_orders(&file, Format::Csv, Some(&mapping)).unwrap();
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    let (orders, cols) = (read.rows, read.columns);
    let o = &orders[0].order;
    assert_eq!(o.customer.name, "Müller GmbH");
    assert_eq!(o.ship_to.city, "Köln");
    assert_eq!(o.currency, "EUR");
    assert_eq!(o.ordered_at.unwrap().to_string(), "2026-03-01T08:30:00Z");
    assert_eq!(cols.of("quantity"), "Menge");
}

#[test]
fn a_windows_1252_header_with_accents_is_found_by_its_mapping() {
    // The mapping file is UTF-8; the export's header is Windows-1252 (ß is 0xDF, ö 0xF6).
    let mapping = Mapping::parse(
        "[columns]\n\"Straße\" = \"ship_to_line1\"\n\"Größe\" = \"quantity\"\n\
         [options]\nencoding = \"windows-1252\"\n",
    )
    .unwrap();
    let mut file = b"external_ref,customer_name,Stra\xdfe,ship_to_city,ship_to_postal_code,ship_to_country,channel,sku,Gr\xf6\xdfe,unit_price\n".to_vec();
    file.extend_from_slice(
        b"B-1,M\xfcller GmbH,Hauptstra\xdfe 1,K\xf6ln,50667,DE,b2b,X1,3,12.50\n",
    );
    let read = read_orders(&file, Format::Csv, Some(&mapping)).unwrap();
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    let o = &read.rows[0].order;
    assert_eq!(o.ship_to.line1, "Hauptstraße 1");
    assert_eq!(o.lines[0].quantity, 3);
    assert_eq!(read.columns.of("ship_to_line1"), "Straße");
    // Named but absent, the error shows the header as decoded, not as mangled UTF-8.
    let mapping = Mapping::parse(
        "[columns]\n\"Straße\" = \"ship_to_line1\"\n\"Menge\" = \"quantity\"\n\
         [options]\nencoding = \"windows-1252\"\n",
    )
    .unwrap();
    let errs = read_orders(&file, Format::Csv, Some(&mapping)).unwrap_err();
    let missing: Vec<_> = errs
        .iter()
        .filter(|e| e.field.starts_with("mapping columns."))
        .collect();
    assert_eq!(missing.len(), 1, "{errs:?}");
    assert_eq!(missing[0].field, "mapping columns.\"Menge\"");
    assert!(
        missing[0].reason.contains("Straße, ship_to_city"),
        "{errs:?}"
    );
}

#[test]
fn mapping_naming_a_missing_column_is_refused_before_reading() {
    let mapping = Mapping::parse("[columns]\n\"Order Number\" = \"external_ref\"\n").unwrap();
    let errs = read_orders(HEADER.as_bytes(), Format::Csv, Some(&mapping)).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.field == "mapping columns.\"Order Number\""
                && e.reason
                    .starts_with("the file has no column 'Order Number'")),
        "{errs:?}"
    );
    let bad = Mapping::parse("[columns]\n\"A\" = \"externl_ref\"\n").unwrap();
    let errs = read_orders(HEADER.as_bytes(), Format::Csv, Some(&bad)).unwrap_err();
    assert!(errs[0].reason.starts_with("'externl_ref' is not a field"));
    let syntax = Mapping::parse("[columns\n").unwrap_err();
    assert_eq!(syntax[0].line, 1);
    let unknown = Mapping::parse("[optionz]\n").unwrap_err();
    assert!(unknown[0].reason.contains("unknown field"), "{unknown:?}");
}

#[test]
fn non_utf8_is_reported_not_mangled() {
    let mut file = HEADER.as_bytes().to_vec();
    file.extend_from_slice(b"PO-1,M\xfcller,,1 Main,Austin,TX,78701,US,b2c,A,1,1\n");
    let errs = read_orders(&file, Format::Csv, None).unwrap().errors;
    assert_eq!(errs[0].line, 2);
    assert_eq!(errs[0].field, "customer_name");
    assert!(
        errs[0].reason.starts_with("not valid UTF-8 (byte 2"),
        "{}",
        errs[0].reason
    );
}

#[test]
fn unknown_columns_and_json_lines_errors_are_precise() {
    let errs = read_orders(b"external_ref,colour\nPO-1,red\n", Format::Csv, None).unwrap_err();
    assert_eq!(errs[0].field, "column 'colour'");
    let jl = b"{\"external_ref\": \"A\"}\n\n{\"external_ref\": 5}\n";
    let errs = read_orders(jl, Format::JsonLines, None).unwrap().errors;
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].line, 1);
    assert!(errs[0].reason.contains("missing field"), "{:?}", errs[0]);
    assert_eq!((errs[1].line, errs[1].field.as_str()), (3, "external_ref"));
}

#[test]
fn shipment_lines_column() {
    assert_eq!(parse_lines("1:2; 3:1").unwrap().len(), 2);
    assert!(parse_lines("1-2").is_err());
    assert!(parse_lines("0:1").is_err());
}
