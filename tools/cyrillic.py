#!/usr/bin/env python3
"""Writes each crates/i18n/locales/sr-Cyrl/<feature>.ftl from its sr-Latn file: Serbian Latin maps to Cyrillic
letter for letter (lj, nj, dž are single letters). Keys, placeables ({ $x }), plural
variants ([one], *[other]), links and the
names okienko, NIP, REGON, PESEL, GeoJSON, QGIS, WGS 84, GPS, JSON, FreeOTP, Aegis, OR, GK stay as they are."""
import re, pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "crates/i18n/locales"
pairs = [("Lj", "Љ"), ("LJ", "Љ"), ("lj", "љ"), ("Nj", "Њ"), ("NJ", "Њ"), ("nj", "њ"), ("Dž", "Џ"), ("DŽ", "Џ"), ("dž", "џ")]
single = dict(zip("ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠabvgdđežzijklmnoprstćufhcčš",
                  "АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШабвгдђежзијклмнопрстћуфхцчш"))
keep = re.compile(r"(\{[^}]*\}|\{ \$\w+ ->|\*?\[\w+\]|okienk\w*|NIP|REGON|PESEL|GeoJSON|QGIS|WGS 84|GPS|JSON|CSV|KiB|OpenSSL|SHA-256|PDF|XML|XAdES|P7S|DOCX|ODT|TXT|RTF|JPG|PNG|TIFF|ZIP|MB|FreeOTP|Aegis|base64|PEM|P-256|RFC|\w+/[\w.+-]+|\.p7s|\.p7m|\.tsr|\.p12|\.pfx|PKCS#12|AE:PL-[0-9A-Z-]*…?|\b[A-Z]{3}\d{6}\b|\bOR\b|\bGK\b|\bQR\b|\b[a-z_]+\.[a-z_]+\b|WCAG|UODO|\bEN\b|\bAA\b|\d{2}-\d{3}|\S+@\S+|e-)")

def translit(text):
    out = []
    for i, part in enumerate(keep.split(text)):
        if i % 2 == 1:
            out.append("е-" if part == "e-" else part)
            continue
        for a, b in pairs:
            part = part.replace(a, b)
        out.append("".join(single.get(c, c) for c in part))
    return "".join(out)

for source in sorted((root / "sr-Latn").glob("*.ftl")):
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if " = " in line and not line.startswith("#") and not line.startswith(" "):
            k, v = line.split(" = ", 1)
            lines.append(f"{k} = {translit(v)}")
        elif line.startswith(" "):
            # A line of a multi-line message (a plural's variants).
            lines.append(translit(line))
        else:
            lines.append(line)
    (root / "sr-Cyrl" / source.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
