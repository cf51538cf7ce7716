# TrafficSensor container: live capture on the host's interfaces, metrics on the host's loopback.
#
#   docker build -t trafficsensor:0.5.0 .
#   docker run -d --name trafficsensor --network host \
#     --cap-drop ALL --cap-add NET_RAW --cap-add NET_ADMIN \
#     -v /var/log/trafficsensor:/var/log/trafficsensor \
#     trafficsensor:0.5.0 live -i eth1 --promisc --metrics 127.0.0.1:9464 \
#       --alerts /var/log/trafficsensor/alerts.json --transactions /var/log/trafficsensor/transactions.json
#
# Base images are pinned to exact versions (the SDK and runtime CI builds with); pin by digest
# as well in your registry mirror if your policy asks for it.

FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY . .
# The same script CI runs and smoke-tests (deploy/build.sh).
RUN deploy/build.sh /app

FROM mcr.microsoft.com/dotnet/runtime:10.0.12-noble
# libpcap for capture; setcap grants the sensor binary only the two capture capabilities, so it
# runs as an unprivileged user (docker must still --cap-add them to the container's bounding set).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap0.8t64 libcap2-bin \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 trafficsensor \
 && useradd --system --uid 10001 --gid trafficsensor --no-create-home --shell /usr/sbin/nologin trafficsensor \
 && install -d -o trafficsensor -g trafficsensor /var/log/trafficsensor /var/lib/trafficsensor
COPY --from=build /app /app
RUN setcap cap_net_raw,cap_net_admin+ep /app/trafficsensor \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_gcServer=0
USER trafficsensor:trafficsensor
WORKDIR /var/lib/trafficsensor
EXPOSE 9464
# Healthy = the metrics endpoint answers and the capture loop is running.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["/app/trafficsensor", "health", "--metrics", "127.0.0.1:9464"]
ENTRYPOINT ["/app/trafficsensor"]
CMD ["live", "-i", "eth0", "--metrics", "127.0.0.1:9464", "--alerts", "/var/log/trafficsensor/alerts.json"]
