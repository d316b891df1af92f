"""devcloud/cloud show-image SERVER_ID IMAGE.png [--moving]: a known picture on a desktop's
displays (heps_devcloud.painter does the drawing), for display-fidelity measurements."""

import signal
import sys
import threading

from . import configs
from .paths import DRIVER_PKG
from .paths import STATE
from .rest import ApiError
from .rest import call
from .rest import get_token

NOVA = "http://127.0.0.1:8774/v2.1"
CONSOLES = {"vnc": "novnc", "spice": "spice-html5"}


def _painter():
    if str(DRIVER_PKG) not in sys.path:
        sys.path.insert(0, str(DRIVER_PKG))
    from heps_devcloud import painter
    return painter


def _server_host(token, server_id):
    status, doc, _ = call("GET", f"{NOVA}/servers/{server_id}", token=token,
                          headers={"OpenStack-API-Version": "compute 2.47"})
    if status != 200:
        raise ApiError(f"server {server_id}: HTTP {status} {doc}")
    server = doc["server"]
    if server.get("status") != "ACTIVE":
        raise ApiError(f"server {server_id} is {server.get('status')}, not ACTIVE")
    return server["OS-EXT-SRV-ATTR:host"]


def _ensure_display(token, server_id, kind):
    """Ask nova for a console: the fake driver starts the display if it is not running."""
    body = {"remote_console": {"protocol": kind, "type": CONSOLES[kind]}}
    status, doc, _ = call("POST", f"{NOVA}/servers/{server_id}/remote-consoles", body,
                          token=token, headers={"OpenStack-API-Version": "compute 2.6"})
    if status != 200:
        raise ApiError(f"{kind} console of {server_id}: HTTP {status} {doc}")


def displays_of(server_id, kinds):
    """{kind: X display number} of the server's displays, started if needed."""
    painter = _painter()
    token = get_token(configs.passwords()["ADMIN_PASSWORD"])     # admin, project-scoped
    state_dir = STATE / "compute" / _server_host(token, server_id)
    found = {}
    for kind in kinds:
        _ensure_display(token, server_id, kind)
        number = painter.display_number(str(state_dir), server_id, kind)
        if number is None:
            raise ApiError(f"no running {kind} display of {server_id} under {state_dir}")
        found[kind] = number
    return found


def run(args):
    painter = _painter()
    kinds = ["vnc", "spice"] if args.display == "both" else [args.display]
    try:
        width, height, rgb = painter.load_png(args.image)
        numbers = displays_of(args.server_id, kinds)
    except (ApiError, painter.PainterError, OSError) as e:
        print(f"show-image: {e}", file=sys.stderr)
        return 1
    if not args.moving:
        for kind, number in numbers.items():
            size = painter.paint(number, width, height, rgb)
            print(f"{kind}: painted {args.image} on display :{number} ({size[0]}x{size[1]})")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    counts = {}

    def scroll(kind, number):
        counts[kind] = painter.moving(number, width, height, rgb, fps=args.fps,
                                      duration=args.seconds, should_stop=stop.is_set)

    threads = [threading.Thread(target=scroll, args=item, daemon=True)
               for item in numbers.items()]
    print("show-image: scrolling on " + ", ".join(f"{k} :{n}" for k, n in numbers.items())
          + " (Ctrl-C or SIGTERM stops)", flush=True)
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.2)
    print("show-image: frames drawn " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    return 0


def add_parser(sub):
    si = sub.add_parser("show-image", help="paint an image (exact pixels) on a server's "
                        "VNC and SPICE displays; --moving scrolls it until Ctrl-C")
    si.add_argument("server_id")
    si.add_argument("image", help="any image Pillow reads; centred, never scaled")
    si.add_argument("--display", choices=["both", "vnc", "spice"], default="both")
    si.add_argument("--moving", action="store_true",
                    help="scroll the image with a frame counter in the top-left corner")
    si.add_argument("--fps", type=float, default=30.0, help="frames a second (--moving)")
    si.add_argument("--seconds", type=float, default=None,
                    help="stop --moving after this long (default: until Ctrl-C/SIGTERM)")
    return si
