"""The same check with Python's standard library, as a peer script would do it.

TLS connect, AUTHENTICATE XOAUTH2, EXAMINE (select readonly), LOGOUT. The token comes from the
environment (BENCH_TOKEN), never from the command line.

usage: python3 imaplib_check.py HOST PORT USER CAFILE [--trace]
  --trace prints the client's commands and the server's lines to stderr, SASL string redacted.
"""
import imaplib
import os
import ssl
import sys


def main() -> int:
    host, port, user, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    trace = "--trace" in sys.argv[5:]
    token = os.environ["BENCH_TOKEN"]
    ctx = ssl.create_default_context(cafile=cafile)
    if trace:
        imaplib.Debug = 4
        # imaplib prints through _mesg; hide the SASL response (base64) and the token.
        sasl = "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
        import base64

        hidden = [token, base64.b64encode(sasl.encode()).decode()]

        def mesg(self, s, secs=None):
            for h in hidden:
                s = s.replace(h, "<redacted>")
            sys.stderr.write("  %s\n" % s)

        imaplib.IMAP4._mesg = mesg
    conn = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=15)
    try:
        conn.authenticate("XOAUTH2", lambda _challenge: ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode())
        typ, data = conn.select("INBOX", readonly=True)
        if typ != "OK":
            sys.stderr.write("EXAMINE failed: %r\n" % (data,))
            return 7
    finally:
        conn.logout()
    print("ok %s messages" % data[0].decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
