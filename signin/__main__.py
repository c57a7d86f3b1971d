import sys

from signin.cli import main

sys.exit(main())
