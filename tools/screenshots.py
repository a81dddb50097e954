#!/usr/bin/env python3
"""Screenshots of the running demo for docs/screenshots/: the citizen's mailbox, the evidence
page and a counter visit, each at 375 px (a phone) and 1280 px (a desk).

Starts `okienko demo` in a fresh temporary folder, drives headless Chromium through
chromedriver (the W3C WebDriver protocol, spoken here with the standard library only), signs
in as Jan Kowalski and as the clerk Katarzyna Pocztowa the way a person would, and saves the
PNGs. Usage:

    cargo build --release && python3 tools/screenshots.py [target/release/okienko]

To look at other pages while working on them (PNGs go to /tmp/look, not into the repo):

    python3 tools/screenshots.py target/debug/okienko --look LOGIN /path [/path ...]

LOGIN is a demo account (e.g. jan.kowalski@okienko.test; staff get their one-time code), or - for
somebody not signed in;
add ?lang=en to a path for another language. `{office}` becomes LOGIN's office, `{entry}` a paper
letter LOGIN registers in its register (an OR official); `{service}` the demo's bookable service,
`{place}` the first place whose queue LOGIN serves; `{task}` a to-do LOGIN gives themself (started,
commented) and `{board}` the path of its department's board; `{library}`, `{folder}` and `{libdoc}` LOGIN's
first department library, its first folder and that folder's first document. `{case}` in a path becomes a case that LOGIN (an
official of OR) opens first, with two more, given places (the map pages have something to show);
extra arguments before --look go to `okienko demo` (e.g. --map-tiles URL).
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

PASSWORD = "okienko-demo"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "screenshots")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def totp(secret, at=None):
    key = base64.b32decode(secret)
    step = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
    return json.loads(text) if text else None


class Browser:
    """A WebDriver session: just what the screenshots need."""

    def __init__(self, driver_url, chromium):
        self.base = driver_url
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     "--disable-dev-shm-usage", "--lang=pl-PL", "--force-device-scale-factor=1"],
        }}}}
        self.sid = call("POST", self.base + "/session", caps)["value"]["sessionId"]

    def cmd(self, method, path, body=None):
        return call(method, "%s/session/%s%s" % (self.base, self.sid, path), body)["value"]

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def find(self, css):
        el = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return list(el.values())[0]

    def type(self, css, text):
        self.cmd("POST", "/element/%s/value" % self.find(css), {"text": text})

    def click(self, css):
        self.cmd("POST", "/element/%s/click" % self.find(css), {})

    def script(self, js):
        return self.cmd("POST", "/execute/sync", {"script": js, "args": []})

    def shot(self, name, width):
        # The whole page: the window as tall as the document (WebDriver shows the viewport).
        self.cmd("POST", "/window/rect", {"width": width, "height": 900})
        height = self.script("return document.documentElement.scrollHeight")
        self.cmd("POST", "/window/rect", {"width": width, "height": min(max(height, 600), 4000)})
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        path = os.path.join(OUT, "%s-%d.png" % (name, width))
        with open(path, "wb") as f:
            f.write(png)
        print("wrote", os.path.relpath(path))

    def quit(self):
        call("DELETE", "%s/session/%s" % (self.base, self.sid))


def sign_in(b, base, login):
    b.cmd("DELETE", "/cookie")
    b.go(base + "/login")
    b.type("#f-login", login)
    b.type("#f-password", PASSWORD)
    if not login.startswith(("jan.", "maria.", "firma@", "milan.")):
        b.type("#f-code", totp(TOTP_SECRET))
    b.click("main button[type=submit]")
    time.sleep(0.5)


def look(b, base, login, paths):
    global OUT
    OUT = "/tmp/look"
    os.makedirs(OUT, exist_ok=True)
    token = None
    if any(k in p for p in paths for k in ("{case}", "{entry}", "{task}", "{board}")):
        token = call("POST", base + "/api/v1/auth/token",
                     {"login": login, "password": PASSWORD, "totp": totp(TOTP_SECRET)})["access_token"]
    if any("{case}" in p for p in paths):
        places = [("Wycinka topoli przy ulicy Źródlanej", "ul. Źródlana 7, Wąchock", 51.0731, 21.0129),
                  ("Naprawa drogi gminnej nr 350012T", "Droga gminna 350012T, Parszów", 51.0904, 20.9871),
                  ("Zajęcie pasa drogowego – Rynek", "Rynek 1, Wąchock", None, None)]
        case = None
        for title, address, lat, lon in places:
            c = call("POST", base + "/api/v1/cases",
                     {"department": "OR", "jrwa": "015", "title": title, "party": "Zofia Wąsik"}, token)
            body = {"address": address}
            if lat is not None:
                body.update({"lat": lat, "lon": lon})
            call("PUT", "%s/api/v1/cases/%s/place" % (base, c["id"]), body, token)
            case = case or c["id"]
        paths = [p.replace("{case}", case) for p in paths]
    if any(k in p for p in paths for k in ("{task}", "{board}")):
        # A to-do LOGIN gives themself, started and commented, and its department's board.
        me = call("GET", base + "/api/v1/me", token=token)
        due = time.strftime("%Y-%m-%d", time.localtime(time.time() + 5 * 86400))
        t = call("POST", base + "/api/v1/tasks",
                 {"kind": "task", "assignee": me["id"], "text": "Zestawienie wycinek drzew za listopad dla rady",
                  "due_on": due}, token)
        call("POST", "%s/api/v1/tasks/%s/start" % (base, t["id"]), None, token)
        call("POST", "%s/api/v1/tasks/%s/comments" % (base, t["id"]),
             {"text": "Brakuje jeszcze dwóch decyzji z Parszowa."}, token)
        board = "/offices/%s/departments/%s/tasks" % (t["office_id"], t["department_id"])
        paths = [p.replace("{task}", t["id"]).replace("{board}", board) for p in paths]
    if token:
        time.sleep(31)  # the next one-time code: each is used once
    if any("{service}" in p for p in paths):
        # The demo's bookable service: the certificate of registered residence.
        found = call("GET", base + "/api/v1/services?q=zaswiadczenie+o+zameldowaniu")
        paths = [p.replace("{service}", found["items"][0]["id"]) for p in paths]
    if login != "-":  # "-": looked at as somebody not signed in
        sign_in(b, base, login)
    if any(k in p for p in paths for k in ("{library}", "{folder}", "{libdoc}")):
        # LOGIN's first department library, its first folder and that folder's first document.
        b.go(base + "/library")
        library = b.script("return document.querySelector(\"main a[href$='/library']\").getAttribute('href')")
        b.go(base + library)
        folder = b.script("return document.querySelector(\".folders a\").getAttribute('href')")
        b.go(base + folder)
        libdoc = b.script("return document.querySelector(\"a[href^='/library/documents/']\").getAttribute('href')")
        paths = [p.replace("{library}", library).replace("{folder}", folder).replace("{libdoc}", libdoc)
                 for p in paths]
    if any("{place}" in p for p in paths):
        # The first place LOGIN serves (an official's department, a clerk's post office).
        b.go(base + "/calendar")
        place = b.script("return document.querySelector(\"a[href$='/queue']\").getAttribute('href')"
                         ).split("/")[2]
        paths = [p.replace("{place}", place) for p in paths]
    if any(k in p for p in paths for k in ("{office}", "{entry}")):
        # The office whose register the work list links to.
        b.go(base + "/cases")
        office = b.script("return document.querySelector(\"a[href$='/register']\").getAttribute('href')"
                          ).split("/")[2]
        paths = [p.replace("{office}", office) for p in paths]
        if any("{entry}" in p for p in paths):
            scan = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
            r = call("POST", "%s/api/v1/offices/%s/register/paper" % (base, office),
                     {"subject": "Skarga na hałas z placu budowy przy ul. Lipowej",
                      "correspondent": "Wspólnota Mieszkaniowa Lipowa 3", "received_on": time.strftime("%Y-%m-%d"),
                      "department": "OR", "name": "skarga-lipowa-3.pdf",
                      "content": base64.b64encode(scan).decode()}, token)
            paths = [p.replace("{entry}", r["entry"]["id"]) for p in paths]
    for path in paths:
        b.go(base + path)
        name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"
        for w in (375, 1280):
            b.shot(name, w)


def main():
    args = sys.argv[1:]
    looking = None
    if "--look" in args:
        i = args.index("--look")
        looking = args[i + 1:]
        args = args[:i]
    exe = os.path.abspath(args[0] if args else "target/release/okienko")
    extra = args[1:]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        sys.exit("chromium and chromedriver are needed (apt install chromium chromium-driver)")
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="okienko-shots-")
    port, dport = free_port(), free_port()
    base = "http://127.0.0.1:%d" % port
    demo = subprocess.Popen([exe, "demo", "--listen", "127.0.0.1:%d" % port] + extra, cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    cd = subprocess.Popen([driver, "--port=%d" % dport], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        for line in demo.stdout:
            if line.startswith("okienko demo at"):
                break
        time.sleep(0.5)
        b = Browser("http://127.0.0.1:%d" % dport, chromium)
        if looking:
            look(b, base, looking[0], looking[1:])
            b.quit()
            return

        # Jan: his mailbox, a letter of the office opened, its evidence.
        token = call("POST", base + "/api/v1/auth/token",
                     {"login": "jan.kowalski@okienko.test", "password": PASSWORD})["access_token"]
        me = call("GET", base + "/api/v1/me", token=token)
        address = me["mailboxes"][0]["address"]
        items = call("GET", "%s/api/v1/mailboxes/%s/messages" % (base, address), token=token)["items"]
        decision = [m for m in items if m["subject"].startswith("Decyzja")][0]["id"]
        sign_in(b, base, "jan.kowalski@okienko.test")
        b.go("%s/mailboxes/%s" % (base, address))
        for w in (375, 1280):
            b.shot("mailbox", w)
        b.go("%s/messages/%s?open=1" % (base, decision))
        evidence = call("GET", "%s/api/v1/messages/%s/evidence" % (base, decision), token=token)
        receipt = [e for e in evidence["items"] if e["type"] == "content-handover"][0]["id"]
        b.go("%s/evidence/%s" % (base, receipt))
        for w in (375, 1280):
            b.shot("evidence", w)

        # Katarzyna at the post office counter: Jan's visit, his identity checked.
        sign_in(b, base, "kasia.poczta@okienko.test")
        b.go(base + "/counter/visits")
        b.type("#f-pesel", "44051401359")
        b.type("#f-id_document_number", "ABA300000")
        b.click("#f-consent")
        b.click("main form[action=\"/counter/visits\"] button")
        time.sleep(0.5)
        for w in (375, 1280):
            b.shot("counter-visit", w)
        b.quit()
    finally:
        cd.terminate()
        demo.terminate()
        demo.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
