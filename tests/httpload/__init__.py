"""An HTTP load client of the app served the production way: browsers (``client``), the
app's processes (``app``), the demo school as its users reach it (``school``) and the
PostgreSQL schemas it runs in (``database``). The reliability tests drive the app with it;
``bench/bench_web.py`` measures with it.
"""
