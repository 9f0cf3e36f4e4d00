#!/usr/bin/env bash
# Validates the 997 interchanges consign-edi writes with pyx12 (PyPI), an independent X12
# validator.
#
# Usage: edi-validators/pyx12_997.sh DIR    (checks every DIR/997_*.x12)
#
# pyx12 is installed into edi-validators/.venv when missing. Its maps are HIPAA
# implementation guides, so the stock configuration is healthcare-specific in three ways that
# say nothing about X12 validity; a patched copy of the map folder (in a temp dir, pointed to
# with --map-path) fixes exactly those and nothing else:
#   1. 997.4010.xml accepts only healthcare codes in AK101 (functional identifier, element
#      479) and AK201 (transaction set identifier, element 143): the logistics codes are added.
#   2. ISA05/ISA07 (interchange id qualifier, I05) list only the HIPAA qualifiers, in that map
#      and in the envelope maps x12.control.00401.xml / x12.control.00501.xml: the other
#      standard qualifiers trading partners use in logistics (02 SCAC, 16 D-U-N-S plus suffix,
#      ...) are added. pyx12's own 999.5010.xml drops this list altogether.
#   3. There is no 5010 997 map at all (HIPAA 5010 acknowledges with the 999; maps.xml has the
#      997.5010 entries commented out): 997.5010.xml is derived from 997.4010.xml with the 5010
#      envelope differences taken from pyx12's own 999.5010.xml (ISA11 is the repetition
#      separator I65, ISA12 00501, GS08 005010) and the two 5010 additions to the 997, AK103
#      (element 480) and AK203 (element 1705), copied from the same 999 map, AK103 optional
#      as in the 997 standard.
# x12valid's exit status does not tell success from failure, so its "<file>: OK" / "<file>:
# Failure" line decides.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:?usage: pyx12_997.sh DIR_WITH_997_FILES}"
venv="$here/.venv"
pyx12_version="4.0.0"

if [ ! -x "$venv/bin/x12valid" ]; then
  echo "installing pyx12 $pyx12_version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pyx12==$pyx12_version"
fi

maps="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$maps" "$work"' EXIT

"$venv/bin/python" - "$maps" <<'PY'
"""Copies pyx12's map folder to argv[1] and adapts it for logistics 997s (see the script's
header for what and why)."""
import copy
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from importlib.resources import files

dst = sys.argv[1]
src = str(files("pyx12").joinpath("map"))
shutil.copytree(src, dst, dirs_exist_ok=True)

# X12 element 479, functional identifier codes of the groups we acknowledge: SM 204, QM 214,
# IM 210, SH 856, OW 940, SW 945, GF 990, FA 997/999, IN 810 (one partner sample sends its 856
# under it), SR (a partner sample's 990 group), PO 850, PR 855, AR 943, RE 944, WA 947, TX 864.
AK101 = ["SM", "QM", "IM", "SH", "OW", "SW", "GF", "FA", "IN", "SR", "PO", "PR", "AR", "RE",
         "WA", "TX"]
# X12 element 143, the logistics transaction sets.
AK201 = ["204", "210", "214", "856", "940", "945", "990", "997"]
# X12 element I05, interchange id qualifiers besides the HIPAA ones: 02 SCAC, 03 FMC, 04 IATA,
# 08 UCC EDI communications id, 09 X.121, 12 phone, 16 D-U-N-S plus 4-character suffix.
I05 = ["01", "02", "03", "04", "08", "09", "12", "14", "16", "ZZ"]


def element(tree, xid):
    node = tree.getroot().find(f".//element[@xid='{xid}']")
    if node is None:
        sys.exit(f"pyx12 map layout changed: no element {xid}")
    return node


def add_codes(tree, xid, codes):
    valid = element(tree, xid).find("valid_codes")
    if valid is None:
        sys.exit(f"pyx12 map layout changed: {xid} has no code list")
    present = {c.text for c in valid.findall("code")}
    for code in codes:
        if code not in present:
            ET.SubElement(valid, "code").text = code


def set_codes(tree, xid, codes):
    valid = element(tree, xid).find("valid_codes")
    for c in list(valid):
        valid.remove(c)
    for code in codes:
        ET.SubElement(valid, "code").text = code


def segment(tree, xid):
    node = tree.getroot().find(f".//segment[@xid='{xid}']")
    if node is None:
        sys.exit(f"pyx12 map layout changed: no segment {xid}")
    return node


p4010 = os.path.join(dst, "997.4010.xml")
t4010 = ET.parse(p4010)
add_codes(t4010, "AK101", AK101)
add_codes(t4010, "AK201", AK201)
add_codes(t4010, "ISA05", I05)
add_codes(t4010, "ISA07", I05)
t4010.write(p4010, encoding="UTF-8", xml_declaration=True)
# The ISA is checked against the control maps, which carry the same HIPAA qualifier list.
for control in ("x12.control.00401.xml", "x12.control.00501.xml"):
    path = os.path.join(dst, control)
    tree = ET.parse(path)
    add_codes(tree, "ISA05", I05)
    add_codes(tree, "ISA07", I05)
    tree.write(path, encoding="UTF-8", xml_declaration=True)

t999 = ET.parse(os.path.join(dst, "999.5010.xml"))
t5010 = ET.parse(p4010)
isa = segment(t5010, "ISA")
old_isa11 = element(t5010, "ISA11")
isa[list(isa).index(old_isa11)] = copy.deepcopy(element(t999, "ISA11"))
set_codes(t5010, "ISA12", ["00501"])
set_codes(t5010, "GS08", ["005010"])
ak103 = copy.deepcopy(element(t999, "AK103"))
ak103.find("usage").text = "S"
segment(t5010, "AK1").append(ak103)
segment(t5010, "AK2").append(copy.deepcopy(element(t999, "AK203")))
t5010.getroot().find("name").text = "Functional Acknowledgment 997, 005010"
t5010.write(os.path.join(dst, "997.5010.xml"), encoding="UTF-8", xml_declaration=True)

index_path = os.path.join(dst, "maps.xml")
index = ET.parse(index_path)
v5010 = index.getroot().find("version[@icvn='00501']")
if v5010 is None:
    sys.exit("pyx12 map index layout changed: no icvn 00501")
entry = ET.SubElement(v5010, "map", {"vriic": "005010", "fic": "FA", "abbr": "997"})
entry.text = "997.5010.xml"
index.write(index_path, encoding="UTF-8", xml_declaration=True)
PY

shopt -s nullglob
files=("$dir"/997_*.x12)
if [ ${#files[@]} -eq 0 ]; then
  echo "no 997_*.x12 files in $dir"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0
for f in "${files[@]}"; do
  name="$(basename "$f")"
  # x12valid writes beside its input; give it a copy in a scratch folder.
  cp "$f" "$work/$name"
  log="$work/$name.log"
  "$venv/bin/x12valid" --map-path "$maps" "$work/$name" >"$log" 2>&1 || true
  if grep -qxF "$work/$name: OK" "$log"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    grep -v "^$work/$name: Failure\$" "$log" | sed 's/^/     /' || true
    failed=$((failed + 1))
  fi
done
# Canary: a 997 with an invalid AK901 code must be rejected, or the checks above prove nothing.
canary="$work/997_canary.x12"
sed 's/AK9\*[AEPR]\*/AK9*Q*/' "${files[0]}" >"$canary"
if cmp -s "$canary" "${files[0]}"; then
  echo "FAIL canary: no AK9 to corrupt in $(basename "${files[0]}")"
  failed=$((failed + 1))
elif { "$venv/bin/x12valid" --map-path "$maps" "$canary" >"$canary.log" 2>&1 || true; } &&
  grep -qxF "$canary: Failure" "$canary.log"; then
  echo "ok   canary: pyx12 rejects $(basename "${files[0]}") with AK901 'Q'"
  passed=$((passed + 1))
else
  echo "FAIL canary: pyx12 accepts $(basename "${files[0]}") with AK901 'Q'"
  failed=$((failed + 1))
fi

echo "pyx12: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
