#!/usr/bin/python3
"""A foreign mDNS stack beside Drawbridge's: Debian's python3-zeroconf publishes or browses _drawbridge._tcp.

  zc.py publish NAME PORT key=value...   announce until killed (addresses: every address of this host)
  zc.py browse SECONDS                   print one JSON line per resolved service, then exit
"""
import json
import socket
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

TYPE = "_drawbridge._tcp.local."


def local_addresses():
    out = []
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None, family):
                out.append(info[4][0])
        except socket.gaierror:
            pass
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                hexaddr, _, _, scope, _, dev = line.split()
                if dev == "lo":
                    continue
                out.append(":".join(hexaddr[i:i + 4] for i in range(0, 32, 4)))
    except OSError:
        pass
    seen = []
    for a in out:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a.split("%")[0])
        if packed not in seen and not a.startswith("127.") and a != "::1":
            seen.append(packed)
    return seen


def publish(name, port, pairs):
    props = dict(p.split("=", 1) for p in pairs)
    zc = Zeroconf(ip_version=IPVersion.All)
    info = ServiceInfo(TYPE, name + "." + TYPE, port=int(port), properties=props,
                       addresses=local_addresses(), server=name.replace(" ", "-") + ".local.")
    zc.register_service(info)
    print("published", name, flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        zc.unregister_service(info)
        zc.close()


def browse(seconds):
    zc = Zeroconf(ip_version=IPVersion.All)
    found = {}

    def on_change(zeroconf, service_type, name, state_change):
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            info = zeroconf.get_service_info(service_type, name, timeout=3000)
            if info is None:
                return
            txt = {k.decode(): (v.decode() if v is not None else "") for k, v in info.properties.items()}
            # A device announced by one responder per address answers each resolution with some of them: keep all.
            seen = found.get(name, {}).get("addresses", [])
            addresses = seen + [a for a in info.parsed_addresses() if a not in seen]
            found[name] = {"name": name, "port": info.port, "addresses": addresses, "txt": txt}

    ServiceBrowser(zc, TYPE, handlers=[on_change])
    time.sleep(float(seconds))
    zc.close()
    for v in found.values():
        print(json.dumps(v), flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "publish":
        publish(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 3 and sys.argv[1] == "browse":
        browse(sys.argv[2])
    else:
        sys.exit(__doc__)
