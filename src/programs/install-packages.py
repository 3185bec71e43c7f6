import importlib.metadata
import os
import subprocess
import sys
import sysconfig
prefix = '/opt/prefect-packages'
constraints = os.path.join(prefix, 'image-packages.txt')
with open(constraints, 'w') as f:
    f.writelines(sorted({f"{d.metadata['Name']}=={d.version}\n" for d in importlib.metadata.distributions() if d.metadata['Name']}))
subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-cache-dir', '--disable-pip-version-check', '--no-warn-script-location',
                '--prefix', prefix, '--constraint', constraints, *sys.argv[1:]], check=True)
scheme = sysconfig.get_preferred_scheme('prefix') if hasattr(sysconfig, 'get_preferred_scheme') else 'posix_prefix'
paths = sysconfig.get_paths(scheme=scheme, vars={'base': prefix, 'platbase': prefix})
for name, key in (('site-packages', 'purelib'), ('platform-packages', 'platlib')):
    os.makedirs(paths[key], exist_ok=True)
    link = os.path.join(prefix, name)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(paths[key], link)
