"""Application configuration beside each service as a registered reader (``Phase.CONFIG``, after the
platforms: it needs their components and name resolution). The logic is in :mod:`redline.sources.appconfig`.

Spring YAML files (``application*.yml``, ``bootstrap*.yml``) are claimed by name, so they are never
reported as YAML that is not infrastructure; every other YAML file no reader took is kept by reference
(not consumed: the scan reports it as ignored and its problems once), and when it turns out to be a
service's configuration (``prometheus.yml`` in a build context) its ``ignored`` entry is replaced by a
``files`` entry. JSON, ``.properties``, ``.env`` and source files are found by walking each service's
folder (bounded), so the scan's walk never holds every source file of a repository.
"""

from __future__ import annotations

from pathlib import Path

from redline.model import SkipKind
from redline.sources import appconfig
from redline.sources.appconfig import AppConfig, Framework
from redline.sources.registry import InputFile, Phase, ScanState, SourceReader, internal_error, register


@register
class AppConfigReader(SourceReader):
    name = "application config"
    phase = Phase.CONFIG
    priority = 50

    def __init__(self) -> None:
        self.spring: dict[Path, InputFile] = {}  # claimed by name
        self.other_yaml: dict[Path, InputFile] = {}  # no reader took them: maybe a service's config

    def wants(self, name: str) -> bool:
        return appconfig.is_spring_yaml(name)

    def claims(self, file: InputFile, scan: ScanState) -> bool:
        if file.is_yaml and not self.wants(file.path.name):
            self.other_yaml[file.path] = file
            return False
        return self.wants(file.path.name)

    def read(self, file: InputFile, scan: ScanState) -> bool:
        self.spring[file.path] = file
        return True

    def link(self, scan: ScanState) -> None:
        infra = {scan.root / f.file for f in scan.system.files}
        offered = {p: f.text for p, f in [*self.spring.items(), *self.other_yaml.items()]}
        app = AppConfig(scan.root, scan.resolver, scan.builder, scan.out, infra, offered)
        try:
            app.run(scan.components)
        except Exception as exc:  # a reader bug must cost the pass, never the scan
            scan.out.skip(".", internal_error(exc))
            return
        for path, file in self.spring.items():
            if path not in app.used:
                scan.out.skip(file.rel, f"Spring configuration {app.not_read(path)}", kind=SkipKind.IGNORED)
        read_yaml = {self.other_yaml[p].rel for p in app.used if p in self.other_yaml}
        scan.out.skipped = [
            s for s in scan.out.skipped if not (s.kind is SkipKind.IGNORED and s.file in read_yaml)
        ]
        for path, (framework, settings) in sorted(app.used.items()):
            scan.file_read(scan.rel(path), _AS[framework], settings)


_AS = {
    Framework.SPRING: "spring-config",
    Framework.DOTNET: "appsettings",
    Framework.DOTENV: "env-file",
    Framework.CONFIG: "config",
}
