#!/usr/bin/env bash
# Validates the functional acknowledgements consign-edi writes with pyx12 (PyPI), an independent
# X12 validator: the 997s, or the 999 implementation acknowledgments (005010X231A1).
#
# Usage: edi-validators/pyx12.sh 997|999 DIR    (checks every DIR/997_*.x12 or DIR/999_*.x12)
#
# pyx12 is installed into edi-validators/.venv when missing. Its maps are HIPAA
# implementation guides, so the stock configuration is healthcare-specific in ways that say
# nothing about X12 validity; a patched copy of the map folder (in a temp dir, pointed to with
# --map-path) fixes exactly those and nothing else. Both kinds share:
#   - AK101 (functional identifier, element 479) and AK201 (transaction set identifier,
#     element 143) accept only the health care groups and sets (HC, 837, ...): the logistics
#     codes are added. pyx12 also identifies AK1 and AK2 by these code lists, so a logistics
#     999 would not even be recognised.
#   - ISA05/ISA07 (interchange id qualifier, I05) list only the HIPAA qualifiers, in the 997
#     map and in the envelope maps x12.control.00401.xml / x12.control.00501.xml: the other
#     standard qualifiers trading partners use in logistics (02 SCAC, 16 D-U-N-S plus suffix,
#     ...) are added. pyx12's own 999 maps drop this list altogether, but the ISA is also
#     checked against the envelope map.
# 997 only: there is no 5010 997 map at all (HIPAA 5010 acknowledges with the 999; maps.xml has
#   the 997.5010 entries commented out): 997.5010.xml is derived from 997.4010.xml with the 5010
#   envelope differences taken from pyx12's own 999.5010.xml (ISA11 is the repetition
#   separator I65, ISA12 00501, GS08 005010) and the two 5010 additions to the 997, AK103
#   (element 480) and AK203 (element 1705), copied from the same 999 map, AK103 optional as in
#   the 997 standard.
# 999 only: pyx12 picks the map by GS01 FA and GS08: ours is 005010X231A1, which maps.xml sends
#   to the stock 999.5010X231.A1.xml (the 005010X231A1 guide; the stock 999.5010.xml is its
#   predecessor 005010X231, whose GS08/ST03 code is 005010X231 and which would reject a 999 of
#   the A1 guide). Everything the 999 guide itself defines is checked as shipped: GS01 FA, GS08
#   and ST03 005010X231A1, AK103 present, the AK2/IK3/IK4/IK5 loop structure, the IK304, IK403,
#   IK501, IK502-IK506 and AK901-AK909 code lists (IK501 has no P), and the counts.
# x12valid's exit status does not tell success from failure, so its "<file>: OK" / "<file>:
# Failure" line decides.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: pyx12.sh 997|999 DIR_WITH_ACK_FILES"
kind="${1:?$usage}"
dir="${2:?$usage}"
case "$kind" in
  997 | 999) ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
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

"$venv/bin/python" - "$maps" "$kind" <<'PY'
"""Copies pyx12's map folder to argv[1] and adapts it for logistics acknowledgements of kind
argv[2], 997 or 999 (see the script's header for what and why)."""
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


def adapt_997():
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


def adapt_999():
    # Fail loudly if pyx12 ever routes 005010X231A1 elsewhere: the patches below would then
    # silently patch a map that is not used.
    index = ET.parse(os.path.join(dst, "maps.xml"))
    routed = index.getroot().find("version[@icvn='00501']/map[@vriic='005010X231A1'][@fic='FA']")
    if routed is None or routed.text != "999.5010X231.A1.xml":
        sys.exit("pyx12 map index changed: 005010X231A1 is not routed to 999.5010X231.A1.xml")

    p999 = os.path.join(dst, routed.text)
    t999 = ET.parse(p999)
    add_codes(t999, "AK101", AK101)
    add_codes(t999, "AK201", AK201)
    t999.write(p999, encoding="UTF-8", xml_declaration=True)

    control = os.path.join(dst, "x12.control.00501.xml")
    tree = ET.parse(control)
    add_codes(tree, "ISA05", I05)
    add_codes(tree, "ISA07", I05)
    tree.write(control, encoding="UTF-8", xml_declaration=True)


if sys.argv[2] == "997":
    adapt_997()
else:
    adapt_999()
PY

shopt -s nullglob
files=("$dir"/"$kind"_*.x12)
if [ ${#files[@]} -eq 0 ]; then
  echo "no ${kind}_*.x12 files in $dir"
  if [ "$kind" = 997 ]; then
    echo "0 passed, 1 failed"
  else
    echo "pyx12 999: 0 of 0 999 files passed"
  fi
  exit 1
fi

validate() {
  # x12valid writes beside its input; give it a copy in a scratch folder.
  "$venv/bin/x12valid" --map-path "$maps" "$1" >"$1.log" 2>&1 || true
}

passed=0
failed=0
canaries_rejected=0
canaries_failed=0
for f in "${files[@]}"; do
  name="$(basename "$f")"
  cp "$f" "$work/$name"
  validate "$work/$name"
  if grep -qxF "$work/$name: OK" "$work/$name.log"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    grep -v "^$work/$name: Failure\$" "$work/$name.log" | sed 's/^/     /' || true
    failed=$((failed + 1))
  fi
done

# Canaries: a fault the guide forbids must be rejected, or the checks above prove nothing.
canary() {
  local what="$1" expr="$2" base="$3"
  local c="$work/${kind}_canary.x12"
  sed "$expr" "$base" >"$c"
  if cmp -s "$c" "$base"; then
    echo "FAIL canary: nothing to corrupt for $what in $(basename "$base")"
    canaries_failed=$((canaries_failed + 1))
    return
  fi
  validate "$c"
  if grep -qxF "$c: Failure" "$c.log"; then
    echo "ok   canary: pyx12 rejects $(basename "$base") with $what"
    canaries_rejected=$((canaries_rejected + 1))
  else
    echo "FAIL canary: pyx12 accepts $(basename "$base") with $what"
    canaries_failed=$((canaries_failed + 1))
  fi
}

if [ "$kind" = 997 ]; then
  canary "AK901 'Q'" 's/AK9\*[AEPR]\*/AK9*Q*/' "${files[0]}"
  echo "pyx12: $((passed + canaries_rejected)) passed, $((failed + canaries_failed)) failed"
  [ "$((failed + canaries_failed))" -eq 0 ]
  exit
fi

# IK501 'P' is a valid 997 AK501 code but not a 999 one; AK3 in place of IK3 is a 997 segment
# the 999 has no place for (same counts, so only the structure can catch it).
canary "IK501 'P'" 's/^IK5\*[AER]/IK5*P/' "${files[0]}"
with_ik3=""
for f in "${files[@]}"; do
  if grep -q '^IK3\*' "$f"; then
    with_ik3="$f"
    break
  fi
done
if [ -n "$with_ik3" ]; then
  canary "AK3 in place of IK3" 's/^IK3\*/AK3*/' "$with_ik3"
else
  echo "(no 999 with an IK3 to corrupt: structure canary skipped)"
fi

echo "pyx12 999: $passed of ${#files[@]} 999 files passed, $failed failed;" \
  "$canaries_rejected of $((canaries_rejected + canaries_failed)) canaries rejected"
[ "$failed" -eq 0 ] && [ "$canaries_failed" -eq 0 ]
