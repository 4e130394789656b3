#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Per-site reachability classes from memleakd, LeakSanitizer and valgrind,
compared with the known answers of tests/integration/test_reach.sh.

A site is the first function named site_* of a block's allocation stack
(leaf first). A site's answer is the set of classes of its blocks, joined
with "+" in the order lost, indirect, possible, reachable, unscanned, or
"none" when no live block of it was reported:

  lost       memleakd lost_count; LSan "Direct leak"; valgrind "definitely lost"
  indirect   memleakd indirect_count; LSan "Indirect leak"; valgrind "indirectly lost"
  possible   valgrind "possibly lost" (reached only by interior pointers)
  reachable  memleakd reachable_count; valgrind "still reachable"; LSan
             reports leaks only: a known site it does not report is reachable
  unscanned  memleakd unscanned_count (no scan classified the block)

  reach_check.py sites memleakd|lsan|valgrind FILE...
      "site answer" per line; "(no site) answer" for blocks on no site
  reach_check.py compare --known FILE --documented FILE
                 --memleakd JSON... --lsan LOG... --valgrind LOG...
      one table row per known site: known, memleakd, LSan, valgrind. Exit 1
      when memleakd's answer differs from the known one, when memleakd calls
      a block on no site (and not suppressed) lost or indirect, or when LSan
      or valgrind differ without a line for it in the documented file.
  reach_check.py scans JSON
      "pid state [at_exit]" of every process's scan in the final object
  reach_check.py leaks JSON FIELD
      FIELD (e.g. lost_count) of the final object's "leaks"
  reach_check.py stack JSON SITE FIELD [all]
      FIELD (e.g. lost_count) of SITE's stacks summed, in the final object,
      or with "all" one value per interval object (one line each)

Known file: "site answer" lines. Documented file: "tool site answer reason"
lines, tool being lsan or valgrind. '#' starts a comment in both.
"""
import json
import re
import sys

ORDER = ["lost", "indirect", "possible", "reachable", "unscanned"]
NO_SITE = "(no site)"


def answer(classes):
    return "+".join(c for c in ORDER if c in classes) or "none"


def site_of(symbols):
    for sym in symbols:
        name = re.split(r"[+ (]", sym or "", maxsplit=1)[0]
        if name.startswith("site_"):
            return name
    return NO_SITE


def json_objects(path):
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def final_object(path):
    finals = [o for o in json_objects(path) if o.get("final")]
    if not finals:
        sys.exit("%s: no final object" % path)
    return finals[-1]


MEMLEAKD_FIELDS = {"lost": "lost_count", "indirect": "indirect_count",
                   "reachable": "reachable_count", "unscanned": "unscanned_count"}


# memleakd's default suppressions (snapshot.c); its JSON does not mark suppressed stacks.
DEFAULT_SUPPRESSED = {"_IO_file_doallocate", "_dl_non_dynamic_init", "_dl_init", "call_init"}


def is_suppressed(stack):
    if stack.get("suppressed") or stack.get("suppressed_by"):
        return True
    return any(f.get("symbol") in DEFAULT_SUPPRESSED for f in stack.get("frames", []))


def memleakd_sites(paths):
    """{site: set of classes}; suppressed stacks on no site are left out."""
    sites = {}
    for path in paths:
        for st in final_object(path).get("stacks", []):
            if st.get("kind", "malloc").startswith("go"):
                continue
            site = site_of(f.get("symbol") for f in st.get("frames", []))
            if site == NO_SITE and is_suppressed(st):
                continue
            classes = sites.setdefault(site, set())
            for cls, field in MEMLEAKD_FIELDS.items():
                if st.get(field, 0) > 0:
                    classes.add(cls)
            if is_suppressed(st):
                classes.add("suppressed")
    return sites


LSAN_RECORD = re.compile(r"^(Direct|Indirect) leak of \d+ byte\(s\) in \d+ object\(s\)")
LSAN_FRAME = re.compile(r"^\s+#\d+ 0x[0-9a-f]+ in (\S+)")


def lsan_sites(paths):
    return records(paths, LSAN_RECORD, LSAN_FRAME,
                   lambda m: "lost" if m.group(1) == "Direct" else "indirect")


VG_RECORD = re.compile(r"^==\d+== [\d,]+ (?:\([^)]*\) )?bytes in [\d,]+ blocks are "
                       r"(definitely lost|indirectly lost|possibly lost|still reachable)")
VG_FRAME = re.compile(r"^==\d+==    (?:at|by) 0x[0-9A-Fa-f]+: (\S+)")
VG_CLASS = {"definitely lost": "lost", "indirectly lost": "indirect",
            "possibly lost": "possible", "still reachable": "reachable"}


def valgrind_sites(paths):
    return records(paths, VG_RECORD, VG_FRAME, lambda m: VG_CLASS[m.group(1)])


def records(paths, record_re, frame_re, class_of):
    """Reads "record line, frame lines" reports: {site: set of classes}."""
    sites = {}
    for path in paths:
        cls, frames = None, []
        with open(path, errors="replace") as f:
            lines = f.read().splitlines() + [""]
        for line in lines:
            m = frame_re.match(line)
            if cls and m:
                frames.append(m.group(1))
                continue
            if cls:
                sites.setdefault(site_of(frames), set()).add(cls)
                cls, frames = None, []
            m = record_re.match(line)
            if m:
                cls = class_of(m)
    return sites


def read_table(path, fields):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if line:
                rows.append(line.split(None, fields - 1))
    return rows


def option_lists(argv):
    opts, key = {}, None
    for a in argv:
        if a.startswith("--"):
            key = a[2:]
            opts.setdefault(key, [])
        elif key:
            opts[key].append(a)
    return opts


def compare(argv):
    opts = option_lists(argv)
    known = {row[0]: row[1] for row in read_table(opts["known"][0], 2)}
    documented = {}
    for row in read_table(opts["documented"][0], 4):
        documented[(row[0], row[1], row[2])] = row[3] if len(row) > 3 else ""
    ml = memleakd_sites(opts.get("memleakd", []))
    lsan = lsan_sites(opts.get("lsan", []))
    vg = valgrind_sites(opts.get("valgrind", []))
    problems, notes = [], []
    print("%-28s %-16s %-18s %-16s %-16s" % ("site", "known", "memleakd", "lsan", "valgrind"))
    for site, want in known.items():
        # A suppressed site must still have the known classes (glibc's: never lost).
        got_ml = answer(ml.get(site, set()) - {"suppressed"})
        shown_ml = got_ml + ("(suppressed)" if "suppressed" in ml.get(site, set()) else "")
        # LSan says nothing of reachable blocks: a site it does not report is reachable.
        got_lsan = answer(lsan.get(site, {"reachable"}))
        got_vg = answer(vg.get(site, set()))
        print("%-28s %-16s %-18s %-16s %-16s" % (site, want, shown_ml, got_lsan, got_vg))
        if got_ml != want:
            problems.append("memleakd says %s for %s, known answer %s" % (got_ml, site, want))
        for tool, got in (("lsan", got_lsan), ("valgrind", got_vg)):
            if got == want:
                continue
            why = documented.get((tool, site, got))
            if why is None:
                problems.append("%s says %s for %s (known %s): not a documented disagreement"
                                % (tool, got, site, want))
            else:
                notes.append("%s/%s: %s (%s)" % (tool, site, got, why))
    for tool, sites in (("memleakd", ml), ("lsan", lsan), ("valgrind", vg)):
        stray = answer((sites.get(NO_SITE, set()) - {"suppressed"}) & {"lost", "indirect"})
        if stray == "none":
            continue
        if tool == "memleakd":
            problems.append("memleakd calls blocks on no site_ stack %s" % stray)
        else:
            notes.append("%s: blocks on no site_ stack: %s" % (tool, stray))
    for n in notes:
        print("# documented: " + n)
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


def stack_field(path, site, field, every):
    objs = list(json_objects(path))
    if not every:
        objs = [o for o in objs if o.get("final")][-1:]
    for o in objs:
        total = 0
        for st in o.get("stacks", []):
            if site_of(f.get("symbol") for f in st.get("frames", [])) == site:
                total += st.get(field, 0)
        print(total)


def scans(node, out):
    """Every {"pid":.., "scan":{..}} below node, in document order."""
    if isinstance(node, dict):
        if isinstance(node.get("scan"), dict):
            sc = node["scan"]
            out.append("%s %s%s" % (node.get("pid", "?"), sc.get("state", "?"),
                                     " at_exit" if sc.get("at_exit") else ""))
        for v in node.values():
            scans(v, out)
    elif isinstance(node, list):
        for v in node:
            scans(v, out)
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "sites":
        reader = {"memleakd": memleakd_sites, "lsan": lsan_sites, "valgrind": valgrind_sites}
        for site, classes in sorted(reader[sys.argv[2]](sys.argv[3:]).items()):
            print("%s %s" % (site, answer(classes)))
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2:]))
    elif cmd == "scans":
        for line in scans(final_object(sys.argv[2]), []):
            print(line)
    elif cmd == "leaks":
        print(final_object(sys.argv[2]).get("leaks", {}).get(sys.argv[3], "missing"))
    elif cmd == "stack":
        stack_field(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
