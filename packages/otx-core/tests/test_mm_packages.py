"""An OpenMMLab package that is not installed is named with the extra that installs it."""

import pytest

from otx.core.errors import ConfigError
from otx.core.model.mm_packages import import_mm


def test_a_missing_package_names_the_extra_that_installs_it() -> None:
    hint = r"uv sync --all-packages --extra nothing \(or pip install 'otx-x\[nothing\]'\)"
    with pytest.raises(
        ConfigError, match=rf"^otx_no_such_mm models need otx_no_such_mm \(.*\); install the extra: {hint}$"
    ):
        import_mm("otx_no_such_mm", "otx-x[nothing]")
