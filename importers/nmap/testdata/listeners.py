#!/usr/bin/env python3
"""Loopback TCP listeners for generating the nmap fixtures.

Usage: listeners.py ADDR:PORT:KIND ...   (KIND is http, ssh or silent)

http   answers HTTP with Python's http.server, so nmap -sV reports a real
       product and version (SimpleHTTPServer, Python).
ssh    sends an OpenSSH-style banner and nothing else: there is no sshd in
       the build container, and a banner is what -sV matches on.
silent accepts and says nothing, so -sV has to guess from the port.

Runs until killed. Prints "ready" on stdout once every socket listens, so a
caller can wait for it instead of sleeping.
"""
import http.server
import socket
import socketserver
import sys
import threading


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Banner(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            self.request.settimeout(5)
            self.request.recv(1024)
        except OSError:
            pass


class Silent(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.settimeout(10)
            while self.request.recv(1024):
                pass
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    handlers = {"http": Quiet, "ssh": Banner, "silent": Silent}
    for spec in sys.argv[1:]:
        addr, port, kind = spec.split(":")
        srv = Server((addr, int(port)), handlers[kind])
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
