# tomcatmgr.sh - Tomcat 10 with its manager application (Debian's tomcat10 + tomcat10-admin), a
# private CATALINA_BASE, and small JSP applications that a CI pipeline deploys through it.
# Manager HTML GUI (CSRF nonce in every link and form, HTTP basic auth), the text API used by
# deploy tools (list/deploy with a raw .war PUT/reload/stop/start/undeploy/sessions), status XML
# and the JMX proxy polled by monitoring, plus people using the deployed applications.
# Clients: 10 deploy pipeline, 11 monitoring, 12 application users; browsers: tomcatmgr/browse.mjs
# (an administrator in the manager GUI: list, reload, sessions, upload a .war, undeploy).
site_name=tomcatmgr
site_port=8080
site_ports="8080"
site_packages="tomcat10 tomcat10-admin curl python3"
site_roles="10:deploy 11:monitor 12:appuser"
svc_tm_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tomcatmgr"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"
source "$svc_tm_dir/clients.sh"

site_start() {
    local work=$1 addr=$2 tc=$1/tomcat
    mkdir -p "$tc"/{conf,logs,work,temp,webapps} "$work/wars"
    cp -rL /etc/tomcat10/. "$tc/conf/"
    rm -rf "$tc/conf/Catalina"
    cp -rL /usr/share/tomcat10-admin/manager "$tc/webapps/manager"
    sed -i 's#docBase="[^"]*"##' "$tc/webapps/manager/META-INF/context.xml"
    cat > "$tc/conf/tomcat-users.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <role rolename="manager-gui"/><role rolename="manager-script"/><role rolename="manager-status"/><role rolename="manager-jmx"/>
  <user username="admin" password="admin-Pw-1" roles="manager-gui"/>
  <user username="ops" password="ops-Pw-2" roles="manager-gui,manager-status"/>
  <user username="deployer" password="deploy-Pw-7" roles="manager-script"/>
  <user username="monitor" password="mon-Pw-3" roles="manager-status,manager-jmx"/>
</tomcat-users>
XML
    cat > "$tc/conf/server.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8080" address="$addr" protocol="HTTP/1.1" connectionTimeout="20000" maxPostSize="52428800" />
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.MemoryRealm" />
      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false" />
    </Engine>
  </Service>
</Server>
XML
    /usr/bin/python3 "$svc_tm_dir/makewars.py" "$work/wars"
    for a in hello inventory reports billing; do cp "$work/wars/$a-1.0.3.war" "$tc/webapps/$a.war"; done
    chown -R tomcat:tomcat "$tc"; chmod -R a+rX "$work/wars"
    env CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE="$tc" CATALINA_TMPDIR="$tc/temp" \
        JAVA_OPTS="-Djava.awt.headless=true -Xmx384m -XX:+UseSerialGC" \
        setpriv --reuid tomcat --regid tomcat --init-groups /usr/share/tomcat10/bin/catalina.sh run > "$work/tomcat.out" 2>&1 &
    echo $! >> "$work/pids"
    svc_wait_http "http://$addr:8080/hello/" 240
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5 end
    end=$(($(date +%s) + seconds))
    _tm_deployer "$work" "http://$addr:8080" "$cb.10" "$seed" "$end" &
    _tm_monitor "$work" "http://$addr:8080" "$cb.11" "$((seed + 1))" "$end" &
    _tm_users "http://$addr:8080" "$cb.12" "$((seed + 2))" "$end" &
    wait
}

site_browse() { echo "$svc_tm_dir/browse.mjs"; }
