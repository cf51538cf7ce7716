"""A chat-ops style webhook receiver for Alertmanager notifications (POST JSON), on ADDR:9095."""
import http.server, json, sys


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            n = len(json.loads(body).get("alerts", []))
            code, out = 200, json.dumps({"ok": True, "alerts": n}).encode()
        except ValueError:
            code, out = 400, b'{"ok":false}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
