"""Will each call reach its callee: ports, names, DNS (codes CN001-CN019)."""

from __future__ import annotations
