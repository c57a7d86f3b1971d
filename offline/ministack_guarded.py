"""ministack, unchanged, behind the guard (offline/emulator_guard.py): what `make demo` and
`make web` run. Run it with ministack's interpreter; it reads the app's module-level name of the
pinned ministack version (offline/requirements.txt)."""

from __future__ import annotations

import ministack.app as ministack_app
from emulator_guard import guard  # this script's folder is first on sys.path

ministack_app.app = guard(ministack_app.app)  # main() serves the module-level `app`

if __name__ == "__main__":
    ministack_app.main()
