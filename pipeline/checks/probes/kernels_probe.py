"""The kernelspecs Jupyter finds in the image, as JupyterLab would list them, and each kernel's
program present: what an image's own layers add to JupyterLab, proven without starting it.

usage: kernels_probe.py EXPECTED_KERNELS(comma-separated)
"""

import shutil
import sys

from jupyter_client.kernelspec import KernelSpecManager

expected = set(sys.argv[1].split(","))
specs = KernelSpecManager().get_all_specs()
if set(specs) != expected:
    sys.exit(f"kernelspecs {sorted(specs)} != promised {sorted(expected)}")
programs = {name: spec["spec"]["argv"][0] for name, spec in specs.items()}
missing = [f"{name}: {program}" for name, program in programs.items() if not shutil.which(program)]
if missing:
    sys.exit(f"kernels whose program is not in the image: {', '.join(missing)}")
print(f"kernelspecs: {sorted(specs)}, each kernel's program present")
