# The hk-market Airflow image: the official Airflow image plus exactly the pins CI tests.
FROM apache/airflow:3.3.2-python3.11

# The Makefile's install, so the same as CI's: requirements.txt under the full lock (constraints.txt),
# then the hk_market package, editable from /opt/airflow/include so its SQL and seeds sit beside it.
COPY --chown=airflow:0 requirements.txt constraints.txt pyproject.toml /opt/airflow/
COPY --chown=airflow:0 include /opt/airflow/include
RUN pip install --no-cache-dir -r /opt/airflow/requirements.txt -c /opt/airflow/constraints.txt \
    && pip install --no-cache-dir --no-deps -e /opt/airflow

COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
