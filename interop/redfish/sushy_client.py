#!/usr/bin/python3
"""Debian's python3-sushy (the Redfish client library Ironic uses) against a Redfish service.

  sushy_client.py URL USER PASSWORD CA_PEM state            print the system's power state and the virtual CD as JSON
  sushy_client.py URL USER PASSWORD CA_PEM insert IMAGE_URL insert a medium through sushy, then print the state
  sushy_client.py URL USER PASSWORD CA_PEM eject            eject through sushy, then print the state
"""
import json
import sys

import sushy
from sushy import auth

SYSTEM = "/redfish/v1/Systems/1"
MANAGER = "/redfish/v1/Managers/1"
CD = MANAGER + "/VirtualMedia/Cd"


def main(argv):
    if len(argv) < 6:
        sys.exit(__doc__)
    url, user, password, ca, verb = argv[1:6]
    root = sushy.Sushy(url + "/redfish/v1", auth=auth.BasicAuth(username=user, password=password), verify=ca)
    media = root.get_manager(MANAGER).virtual_media.get_member(CD)
    if verb == "insert":
        media.insert_media(argv[6], inserted=True, write_protected=True)
    elif verb == "eject":
        media.eject_media()
    elif verb != "state":
        sys.exit(__doc__)
    system = root.get_system(SYSTEM)
    media = root.get_manager(MANAGER).virtual_media.get_member(CD)
    print(json.dumps({"power_state": str(system.power_state), "image": media.image, "inserted": media.inserted}))


if __name__ == "__main__":
    main(sys.argv)
