#!/usr/bin/env python3
"""check_html.py - is a page well-formed, and what does it refer to?

Usage: check_html.py PAGE

Parses PAGE with html.parser and again as XML: every element that is not
void is closed, in order, nothing is closed twice, the page starts with
<!DOCTYPE html>, and no text from the data came through unescaped (it would
open an element that is never closed).  Prints every href and src value,
one a line (a data: URI as "data:image/png" and the like, up to its first
';' or ','), and exits 0; or prints why on stderr and exits 1.  test_report
runs it on report.html.
"""
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.refs, self.errors = [], [], []

    def refs_of(self, attrs):
        for k, v in attrs:
            if k in ("href", "src"):
                self.refs.append(re.split("[;,]", v)[0]
                                 if v.startswith("data:") else v)

    def handle_starttag(self, tag, attrs):
        self.refs_of(attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self.refs_of(attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1][0] if self.stack else "nothing"
            self.errors.append(f"line {self.getpos()[0]}: </{tag}> "
                               f"where <{top}> is open")
            return
        self.stack.pop()


def main():
    if len(sys.argv) != 2:
        print("usage: check_html.py PAGE", file=sys.stderr)
        return 2
    text = open(sys.argv[1], encoding="utf-8").read()
    why = []
    if not text.startswith("<!DOCTYPE html>"):
        why.append("no <!DOCTYPE html> first")
    p = Check()
    p.feed(text)
    p.close()
    why += p.errors
    why += [f"line {line}: <{tag}> never closed" for tag, line in p.stack]
    try:
        ET.fromstring(text[len("<!DOCTYPE html>"):])
    except ET.ParseError as e:
        why.append(f"not well-formed as XML: {e}")
    if why:
        for w in why:
            print(f"check_html: {sys.argv[1]}: {w}", file=sys.stderr)
        return 1
    for r in p.refs:
        print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
