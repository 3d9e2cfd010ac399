import sys

from disclosure.cli import main

sys.exit(main())
