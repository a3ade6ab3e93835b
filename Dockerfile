# The production image: Airflow 3.3 with the project's exact pins and the grassroots package.
FROM apache/airflow:3.3.2-python3.11
USER airflow
COPY --chown=airflow:root requirements.txt /opt/grassroots/requirements.txt
RUN pip install --no-cache-dir -r /opt/grassroots/requirements.txt
COPY --chown=airflow:root pyproject.toml /opt/grassroots/
COPY --chown=airflow:root grassroots /opt/grassroots/grassroots
COPY --chown=airflow:root include /opt/grassroots/include
RUN pip install --no-cache-dir --no-deps -e /opt/grassroots
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
