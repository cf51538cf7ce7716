# Machine clients of the Tomcat manager site (sourced by ../tomcatmgr.sh in a subshell).
# _tm_deployer WORK BASE SRC SEED END: a CI/CD pipeline using the manager's text API.
_tm_deployer() {
    local work=$1 base=$2 src=$3 end=$5
    RANDOM=$4
    local apps=(inventory reports hello billing) vers=(1.0.3 1.1.0)
    local c=(curl -s -o /dev/null -m 30 --interface "$src" -A "Jenkins/2.440.3 deploy-plugin" -u "deployer:deploy-Pw-7")
    while svc_until "$end"; do
        local app=${apps[RANDOM % 4]} ver=${vers[RANDOM % 2]} a=$((RANDOM % 10))
        "${c[@]}" "$base/manager/text/list"
        if ((a < 3)); then
            "${c[@]}" -T "$work/wars/$app-$ver.war" -H "Content-Type: application/octet-stream" \
                "$base/manager/text/deploy?path=/$app&update=true&tag=$app-$ver-b$((RANDOM % 500))"
        elif ((a < 5)); then
            "${c[@]}" "$base/manager/text/reload?path=/$app"
        elif ((a < 6)); then
            "${c[@]}" "$base/manager/text/stop?path=/$app"; sleep 2
            "${c[@]}" "$base/manager/text/start?path=/$app"
        elif ((a < 7)); then   # undeploy, redeploy a little later (people get 404s meanwhile)
            "${c[@]}" "$base/manager/text/undeploy?path=/$app"; sleep $((5 + RANDOM % 20))
            "${c[@]}" -T "$work/wars/$app-$ver.war" "$base/manager/text/deploy?path=/$app"
        elif ((a < 8)); then
            "${c[@]}" "$base/manager/text/sessions?path=/$app"
            "${c[@]}" "$base/manager/text/expire?path=/$app&idle=30"
        elif ((a < 9)); then
            "${c[@]}" "$base/manager/text/serverinfo"
            "${c[@]}" "$base/manager/text/resources"
            "${c[@]}" "$base/manager/text/findleaks?statusLine=true"
        else   # an old credential in a forgotten job: 401
            curl -s -o /dev/null -m 10 --interface "$src" -A "curl/7.88.1" -u "deployer:old-password" "$base/manager/text/list"
        fi
        svc_sleep "$end" $((4 + RANDOM % 20))
    done
}

# _tm_monitor WORK BASE SRC SEED END: a monitoring system polling status XML and the JMX proxy.
_tm_monitor() {
    local base=$2 src=$3 end=$5
    RANDOM=$4
    local c=(curl -s -o /dev/null -m 20 --interface "$src" -A "Zabbix" -u "monitor:mon-Pw-3")
    local q=("Catalina:type=ThreadPool,*" "java.lang:type=Memory" "Catalina:type=GlobalRequestProcessor,*"
             "Catalina:type=Manager,context=/inventory,host=localhost" "java.lang:type=GarbageCollector,*" "Catalina:j2eeType=WebModule,*")
    while svc_until "$end"; do
        "${c[@]}" "$base/manager/status?XML=true"
        ((RANDOM % 3)) || "${c[@]}" "$base/manager/status/all?XML=true"
        "${c[@]}" -G --data-urlencode "qry=${q[RANDOM % ${#q[@]}]}" "$base/manager/jmxproxy/"
        ((RANDOM % 2)) && "${c[@]}" -G --data-urlencode "get=java.lang:type=Memory" --data-urlencode "att=HeapMemoryUsage" --data-urlencode "key=used" "$base/manager/jmxproxy/"
        ((RANDOM % 4)) || "${c[@]}" -G --data-urlencode "get=Catalina:type=ThreadPool,name=\"http-nio-${2#http://}\""  --data-urlencode "att=currentThreadsBusy" "$base/manager/jmxproxy/"
        svc_sleep "$end" $((15 + RANDOM % 15))
    done
}

# _tm_users BASE SRC SEED END: people and services using the deployed applications.
_tm_users() {
    local base=$1 src=$2 end=$4
    RANDOM=$3
    local apps=(inventory reports hello billing) words=(widget bolt gear cable Invoice2024 report q3)
    local jar; jar=$(mktemp)
    while svc_until "$end"; do
        local app=${apps[RANDOM % 4]} c=(curl -s -o /dev/null -m 15 --interface "$src" -b "$jar" -c "$jar"
            -A "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
            -H "Accept: text/html,application/xhtml+xml,*/*;q=0.8")
        "${c[@]}" "$base/$app/"
        ((RANDOM % 2)) && "${c[@]}" "$base/$app/static/app.css"
        "${c[@]}" "$base/$app/search.jsp?q=${words[RANDOM % ${#words[@]}]}&page=$((1 + RANDOM % 4))"
        ((RANDOM % 3)) || "${c[@]}" -H "Accept: application/json" "$base/$app/status.jsp"
        ((RANDOM % 10)) || "${c[@]}" "$base/$app/favicon.ico"
        svc_sleep "$end" $((1 + RANDOM % 6))
    done
    rm -f "$jar"
}
