import sys

from lenet_core.cli import main

sys.exit(main())
