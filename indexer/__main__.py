"""``python -m indexer``: see `indexer.cli`."""

import sys

from indexer.cli import main

sys.exit(main())
