#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/report.py RAW OUT - turn the raw results of bench/run into
OUT/RESULTS.md (tables, ratios against targets) and one PNG per series
(gnuplot). Standard library only.

Input (written by bench/lib.sh): RAW/env.tsv and RAW/durations.tsv
(key, value), and per benchmark RAW/ID.meta.tsv (declarations: title,
series, ratio, slope, skip, note, scalar) and RAW/ID.samples.tsv
(series, contender, x, value). RAW/ID.txt, if present, is quoted as is.
"""
import os
import shutil
import statistics
import subprocess
import sys
from collections import OrderedDict


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt(v):
    """A number with three significant digits or so."""
    if v is None:
        return "–"
    a = abs(v)
    if float(v).is_integer() and a < 1e6:
        return str(int(v))
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def verdict(value, target):
    """'met' / 'missed by N×' for a value that must stay at or below target."""
    if target is None:
        return ""
    if value <= target:
        return "met"
    return f"**missed** ({value / target:.2f}× the target)"


class Bench:
    def __init__(self, ident, raw):
        self.id = ident
        self.title = ident
        self.series = OrderedDict()  # name -> dict(kind, unit, title, xlabel)
        self.ratios, self.slopes, self.skips = [], [], []
        self.notes, self.scalars = [], []
        for r in rows(os.path.join(raw, ident + ".meta.tsv")):
            kind, f = r[0], r[1:] + [""] * 5
            if kind == "title":
                self.title = f[0]
            elif kind == "series":
                self.series[f[0]] = dict(kind=f[1], unit=f[2], title=f[3], xlabel=f[4])
            elif kind == "ratio":
                self.ratios.append((f[0], f[1], f[2], float(f[3]) if f[3] else None))
            elif kind == "slope":
                self.slopes.append((f[0], f[1], float(f[2]) if f[2] else None))
            elif kind == "skip":
                self.skips.append((f[0], f[1], f[2]))
            elif kind == "note":
                self.notes.append(f[0])
            elif kind == "scalar":
                self.scalars.append((f[0], float(f[1]) if f[1] else None, f[2],
                                     float(f[3]) if f[3] else None))
        # samples[series][contender][x] = [values], in order of appearance
        self.samples = OrderedDict()
        for r in rows(os.path.join(raw, ident + ".samples.tsv")):
            s, c, x, v = r
            self.samples.setdefault(s, OrderedDict()).setdefault(c, OrderedDict()) \
                .setdefault(x, []).append(float(v))
        txt = os.path.join(raw, ident + ".txt")
        self.text = open(txt, encoding="utf-8").read() if os.path.exists(txt) else ""

    def values(self, series, contender, x=""):
        return self.samples.get(series, {}).get(contender, {}).get(x, [])

    def median(self, series, contender, x=""):
        v = self.values(series, contender, x)
        return statistics.median(v) if v else None

    def ratio_results(self):
        """(series, num, den, ratio or None, target)"""
        out = []
        for s, a, b, tgt in self.ratios:
            ma, mb = self.median(s, a), self.median(s, b)
            out.append((s, a, b, ma / mb if ma is not None and mb else None, tgt))
        return out

    def paired(self, s, a, b):
        """Median of the ratios of the i-th samples of a and b, which came
        from the same round; None unless both have the same count."""
        va, vb = self.values(s, a), self.values(s, b)
        if len(va) != len(vb) or len(va) < 2 or not all(vb):
            return None
        return statistics.median(x / y for x, y in zip(va, vb))

    def slope_results(self):
        """(series, contender, slope per x or None, points, target)"""
        out = []
        for s, c, tgt in self.slopes:
            pts = [(float(x), statistics.median(v))
                   for x, v in self.samples.get(s, {}).get(c, {}).items() if v]
            slope = None
            if len(pts) >= 2:
                mx = statistics.mean(p[0] for p in pts)
                my = statistics.mean(p[1] for p in pts)
                sxx = sum((p[0] - mx) ** 2 for p in pts)
                if sxx:
                    slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
            out.append((s, c, slope, pts, tgt))
        return out


def slope_text(sl, unit):
    if sl is None:
        return "–"
    if unit == "ms":
        return f"{sl * 1000:.1f} µs"
    return f"{fmt(sl)} {unit}"


def skip_reason(b, series, contender):
    for s, c, why in b.skips:
        if s == series and c == contender:
            return why
    return None


def plot(b, name, spec, out):
    """Write OUT/ID-SERIES.png with gnuplot; return its file name or None."""
    if not shutil.which("gnuplot") or name not in b.samples:
        return None
    png = f"{b.id}-{name}.png"
    dat = os.path.join(out, "raw", f"{b.id}-{name}.dat")
    data = b.samples[name]
    unit = spec["unit"]
    lines = ["set terminal pngcairo size 800,450 noenhanced font ',10'",
             f"set output '{os.path.join(out, png)}'",
             f"set title {q(spec['title'])}",
             f"set ylabel {q(unit)}", "set grid ytics", "set key top left",
             "set yrange [0:*]", "set format y '%.10g'"]
    with open(dat, "w", encoding="utf-8") as f:
        if spec["kind"] == "bars":
            for c, xs in data.items():
                v = xs.get("", [])
                if v:
                    f.write(f"\"{c}\" {statistics.median(v)} {min(v)} {max(v)}\n")
            lines += ["set style fill solid 0.5", "set boxwidth 0.6", "set xrange [-0.6:*]",
                      "unset key",
                      f"plot {q(dat)} using 0:2:xtic(1) with boxes lc rgb '#4477aa', "
                      f"'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 7 ps 0.4"]
        else:
            plots = []
            for i, (c, xs) in enumerate(data.items()):
                if i:
                    f.write("\n\n")
                for x, v in xs.items():
                    f.write(f"{x} {statistics.median(v)} {min(v)} {max(v)}\n")
                style = "linespoints" if spec["kind"] == "xy" else "points pt 7 ps 0.4"
                plots.append(f"{q(dat)} index {i} using 1:2 with {style} title {q(c)}")
                if spec["kind"] == "xy":
                    plots.append(f"{q(dat)} index {i} using 1:2:3:4 with yerrorbars "
                                 f"lc {i + 1} pt 0 notitle")
            lines += [f"set xlabel {q(spec['xlabel'] or 'x')}", "plot " + ", ".join(plots)]
    r = subprocess.run(["gnuplot"], input="\n".join(lines) + "\n", text=True,
                       capture_output=True)
    if r.returncode:
        sys.stderr.write(f"report.py: gnuplot failed for {png}: {r.stderr}\n")
        return None
    return png


def q(s):
    return "'" + s.replace("'", "''") + "'"


def section(b, out):
    n = int(b.id[:2]) if b.id[:2].isdigit() else b.id
    md = [f"## {n}. {b.title}", ""]
    for name, spec in b.series.items():
        unit, data = spec["unit"], b.samples.get(name, {})
        if spec["kind"] == "bars":
            md += [f"**{spec['title']}** ({unit})", "",
                   "| contender | runs | median | min – max | fvm ÷ this |",
                   "|---|---:|---:|---:|---:|"]
            fvm = b.median(name, "fvm")
            for c, xs in data.items():
                v = xs.get("", [])
                m = statistics.median(v)
                r = fmt(fvm / m) + "×" if fvm is not None and c != "fvm" else ""
                md.append(f"| {c} | {len(v)} | {fmt(m)} | {fmt(min(v))} – {fmt(max(v))} | {r} |")
            if not data:
                md.append("| (nothing ran) | | | | |")
        elif spec["kind"] == "xy":
            cs = list(data)
            xs = sorted({x for c in cs for x in data[c]}, key=float)
            md += [f"**{spec['title']}**: median (min – max), {unit}", "",
                   f"| {spec['xlabel'] or 'x'} | " + " | ".join(cs) + " |",
                   "|---:|" + "---:|" * len(cs)]
            for x in xs:
                cells = []
                for c in cs:
                    v = data[c].get(x)
                    cells.append(f"{fmt(statistics.median(v))} ({fmt(min(v))} – {fmt(max(v))})"
                                 if v else "–")
                md.append(f"| {x} | " + " | ".join(cells) + " |")
        else:  # trace
            md += [f"**{spec['title']}** ({unit})", "",
                   "| contender | points | median | min – max | first | last |",
                   "|---|---:|---:|---:|---:|---:|"]
            for c, xs in data.items():
                ks = sorted(xs, key=float)
                v = [x for k in ks for x in xs[k]]
                md.append(f"| {c} | {len(v)} | {fmt(statistics.median(v))} | "
                          f"{fmt(min(v))} – {fmt(max(v))} | {fmt(xs[ks[0]][0])} | {fmt(xs[ks[-1]][0])} |")
            if not data:
                md.append("| (nothing ran) | | | | | |")
        md.append("")
        png = plot(b, name, spec, out)
        if png:
            md += [f"![{spec['title']}]({png})", ""]
    rr = b.ratio_results()
    if rr:
        md += ["| ratio | of the medians | paired by round | target | |",
               "|---|---:|---:|---:|---|"]
        for s, a, c, r, tgt in rr:
            label = f"{a} ÷ {c}" + (f" ({s})" if len(b.series) > 1 else "")
            t = f"≤ {fmt(tgt)}×" if tgt else ""
            if r is None:
                why = skip_reason(b, s, c) or skip_reason(b, s, a)
                md.append(f"| {label} | – | – | {t} | not measured{': see below' if why else ''} |")
            else:
                p = b.paired(s, a, c)
                md.append(f"| {label} | {fmt(r)}× | {fmt(p) + '×' if p else '–'} | {t} | "
                          f"{verdict(r, tgt)} |")
        md.append("")
    sr = b.slope_results()
    if sr:
        md += [f"| slope of the median over {b.series[sr[0][0]]['xlabel'] or 'x'} (least squares) "
               "| per unit | points | target | |", "|---|---:|---:|---:|---|"]
        for s, c, sl, pts, tgt in sr:
            unit = b.series.get(s, {}).get("unit", "")
            md.append(f"| {c} | {slope_text(sl, unit)} | {len(pts)} | "
                      f"{'≤ ' + slope_text(tgt, unit) if tgt else ''} | "
                      f"{verdict(sl, tgt) if sl is not None else ''} |")
        md.append("")
    if b.scalars:
        md += ["| measure | value | target | |", "|---|---:|---:|---|"]
        for name, v, unit, tgt in b.scalars:
            md.append(f"| {name} | {fmt(v)} {unit} | {'≤ ' + fmt(tgt) + ' ' + unit if tgt else ''} | "
                      f"{verdict(v, tgt) if v is not None else ''} |")
        md.append("")
    if b.skips:
        md += ["Could not run here:", ""]
        md += [f"- **{c}** ({s}): {why}" for s, c, why in b.skips]
        md.append("")
    if b.notes:
        md += [f"- {t}" for t in b.notes] + [""]
    if b.text:
        md += ["```", b.text.rstrip(), "```", ""]
    return md


def summary(benches):
    md = ["## Targets at a glance", "",
          "| benchmark | measure | result | target | |", "|---|---|---:|---:|---|"]
    for b in benches:
        n = int(b.id[:2]) if b.id[:2].isdigit() else b.id
        short = b.title.split(":")[0]
        for s, a, c, r, tgt in b.ratio_results():
            if tgt is None:
                continue
            res = f"{fmt(r)}×" if r is not None else "not measured"
            md.append(f"| {n}. {short} | {a} ÷ {c} | {res} | ≤ {fmt(tgt)}× | "
                      f"{verdict(r, tgt) if r is not None else ''} |")
        for s, c, sl, pts, tgt in b.slope_results():
            if tgt is None:
                continue
            unit = b.series.get(s, {}).get("unit", "")
            md.append(f"| {n}. {short} | slope of {c}'s {s} | {slope_text(sl, unit)} | "
                      f"≤ {slope_text(tgt, unit)} | {verdict(sl, tgt) if sl is not None else ''} |")
        for name, v, unit, tgt in b.scalars:
            if tgt is None or v is None:
                continue
            md.append(f"| {n}. {short} | {name} | {fmt(v)} {unit} | ≤ {fmt(tgt)} {unit} | "
                      f"{verdict(v, tgt)} |")
        if not b.samples and b.skips:
            for s, c, why in b.skips:
                md.append(f"| {n}. {short} | {c} | – | | {why.split(':')[0]} |")
    return md + [""]


def main():
    raw, out = sys.argv[1], sys.argv[2]
    env = rows(os.path.join(raw, "env.tsv"))
    envd = dict((r[0], r[1] if len(r) > 1 else "") for r in env)
    dur = rows(os.path.join(raw, "durations.tsv"))
    ids = sorted({f[:-len(".meta.tsv")] for f in os.listdir(raw) if f.endswith(".meta.tsv")})
    benches = [Bench(i, raw) for i in ids]
    for f in os.listdir(out):
        if f.endswith(".png"):
            os.remove(os.path.join(out, f))

    md = ["# fvm benchmarks", "",
          f"Written by `bench/run{' --quick' if envd.get('mode') == 'quick' else ''}` "
          f"on {envd.get('date', '?')} ({envd.get('mode', '?')} mode); do not edit by hand. ",
          "Every contender ran in the same run, interleaved: round after round, each "
          "contender's turn rotating, so the machine's drift hits all alike. Times are "
          "medians with min – max; a ratio is fvm's median over the peer's median from "
          "that same run (below 1 means fvm is faster); \"paired by round\" is the median "
          "of the ratios of samples taken in the same round, which the machine's drift "
          "moves least. Targets are checked on the ratio of the medians. The machine is shared and noisy: "
          "trust ratios more than absolute numbers.", "",
          "| machine and peers | |", "|---|---|"]
    md += [f"| {k} | {v} |" for k, v in env if k not in ("mode", "date")]
    md += [""] + summary(benches)
    for b in benches:
        md += section(b, out)
    if dur:
        md += ["## Time taken, and how busy the machine was", "",
               "Load: the 1-minute load average when the part ended; CPU and I/O "
               "pressure: the share of the last minute in which some task waited for "
               "a CPU or for I/O (/proc/pressure). High numbers mean other work shared "
               "the machine with the benchmark.", "",
               "| part | seconds | load | CPU pressure | I/O pressure |",
               "|---|---:|---:|---:|---:|"]
        md += ["| " + " | ".join((r + ["", "", "", ""])[:5]) + " |" for r in dur] + [""]
    with open(os.path.join(out, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
