import asyncio
import sys
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from prefect.server.database import provide_database_interface
from prefect.server.database.alembic_commands import alembic_config

async def main():
    db = provide_database_interface()
    script = ScriptDirectory.from_config(alembic_config())
    script.version_locations = [str(db.orm.versions_dir)]
    heads = set(script.get_heads())
    known = {r.revision for r in script.walk_revisions()}
    engine = await db.engine()
    while True:
        try:
            async with engine.connect() as connection:
                current = set((await connection.execute(sa.text('SELECT version_num FROM alembic_version'))).scalars())
        except Exception as e:
            current, reason = set(), f'{type(e).__name__}: {e}'.splitlines()[0]
        else:
            reason = f'at {sorted(current) or "no revision"}'
        if current == heads:
            print(f'database schema at {sorted(heads)}: current', flush=True)
            return 0
        if current - known:
            print(f'database schema at {sorted(current)}, newer than this release ({sorted(heads)}): not starting', flush=True)
            return 1
        print(f'waiting for the database migration to {sorted(heads)}: {reason}', flush=True)
        await asyncio.sleep(5)

sys.exit(asyncio.run(main()))
