#!/bin/bash
# The demo, and the set-up the end-to-end tests share with it.
#
#   docker/demo.sh          everything: set-up, deploy, demonstrate
#   docker/demo.sh setup    packages, Docker engine, swarm, images
#   docker/demo.sh down     remove the stack
#
# As root on Debian 12.  Environment: STACK (mystack), LB_PORT (25580),
# STATUS_PORT (25581), SWARM_IMAGE (ngx-http-swarm:local), BASE_IMAGE
# (debian:bookworm-slim), DOCKERD_LOG (/var/log/ngx-http-swarm-dockerd.log).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

STACK=${STACK:-mystack}
LB_PORT=${LB_PORT:-25580}
STATUS_PORT=${STATUS_PORT:-25581}
SWARM_IMAGE=${SWARM_IMAGE:-ngx-http-swarm:local}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/ngx-http-swarm-dockerd.log}

say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

packages() {
    local missing="" p
    for p in docker.io debootstrap curl ca-certificates; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "as root, or install:$missing"
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing >/dev/null
}

engine() {
    if docker info >/dev/null 2>&1; then
        return 0
    fi
    say "starting dockerd in the background, log: $DOCKERD_LOG"
    nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
    local i
    for i in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "the Docker engine did not start (log: $DOCKERD_LOG)"
}

swarm() {
    local state
    state=$(docker info --format '{{.Swarm.LocalNodeState}}')
    [ "$state" = active ] && return 0
    say "docker swarm init"
    if ! docker swarm init >/dev/null 2>&1; then
        # several addresses: name one
        docker swarm init --advertise-addr "$(hostname -I | awk '{print $1}')" \
            >/dev/null
    fi
}

base_image() {
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
    if timeout 60 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    say "no registry: making $BASE_IMAGE with debootstrap (about a minute)"
    local root
    root=$(mktemp -d /tmp/ngx-http-swarm-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$root" "$("$here/debian-mirror")" \
        >"$root.log" 2>&1 || { tail -n 20 "$root.log" >&2; die "debootstrap failed"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
    rm -rf "$root" "$root.log"
}

images() {
    say "building $SWARM_IMAGE"
    docker build -q -f "$here/Dockerfile" --build-arg "BASE=$BASE_IMAGE" \
        -t "$SWARM_IMAGE" "$top" >/dev/null 2>"$top/build-docker.log" \
        || { tail -n 30 "$top/build-docker.log" >&2; die "docker build failed"; }
    rm -f "$top/build-docker.log"
}

setup() {
    [ "$(id -u)" = 0 ] || die "run as root"
    packages
    engine
    swarm
    base_image
    images
}

# extra compose files (for the tests) in STACK_FILES, ':'-separated
deploy() {
    local files=(-c "$here/stack.yml") f
    if [ -n "${STACK_FILES:-}" ]; then
        IFS=: read -ra extra <<<"$STACK_FILES"
        for f in "${extra[@]}"; do files+=(-c "$f"); done
    fi
    say "docker stack deploy $STACK"
    SWARM_IMAGE="$SWARM_IMAGE" \
    SWARM_IMAGE_ID=$(docker image inspect -f '{{.Id}}' "$SWARM_IMAGE") \
    LB_CONF_NAME="${STACK}_lb_$(cat "$here"/nginx.conf ${LB_CONF:+"$LB_CONF"} | sha256sum | cut -c1-12)" \
    LB_PORT="$LB_PORT" STATUS_PORT="$STATUS_PORT" \
        docker stack deploy --resolve-image never "${files[@]}" "$STACK" \
        >/tmp/ngx-http-swarm-deploy.log 2>&1 \
        || { cat /tmp/ngx-http-swarm-deploy.log >&2; die "deploy failed"; }
}

wait_ready() {
    say "waiting for http://127.0.0.1:$LB_PORT/ and every app task in it"
    local i want active=""
    want=$(docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' \
           "${STACK}_app")
    for i in $(seq 1 240); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
                 "http://127.0.0.1:$LB_PORT/")" = 200 ]; then
            # swarm_status: the app's active tasks, each once, whatever
            # else is routed beside it (the hello service of a run before)
            active=$(curl -s --max-time 2 \
                         "http://127.0.0.1:$STATUS_PORT/swarm" \
                     | tr -d ' \n' \
                     | { grep -o "\"state\":\"active\",\"task\":\"[a-z0-9]*\",\"service\":\"${STACK}_app\"" || true; } \
                     | sort -u | wc -l)
            [ "$active" = "$want" ] && return 0
        fi
        sleep 0.5
    done
    docker stack ps --no-trunc "$STACK" >&2 || true
    die "http://127.0.0.1:$LB_PORT/ does not answer with $want tasks" \
        "(swarm_status: ${active:-no} active)"
}

show() {
    local jar i
    jar=$(mktemp)
    cat <<EOT

The stack "$STACK" is up:
  the app, through the load balancer:  http://127.0.0.1:$LB_PORT/
  the dashboard:                       http://127.0.0.1:$STATUS_PORT/
  the discovered tasks (swarm_status): http://127.0.0.1:$STATUS_PORT/swarm
  Prometheus metrics:                  http://127.0.0.1:$STATUS_PORT/metrics

New visitors (no cookie) are spread over the tasks:
EOT
    for i in 1 2 3 4 5 6; do
        printf '  %s' "$(curl -s "http://127.0.0.1:$LB_PORT/")"
        echo
    done
    echo
    echo "A visitor that keeps its cookie stays on one task:"
    curl -s -c "$jar" -o /dev/null "http://127.0.0.1:$LB_PORT/"
    echo "  cookie: $(awk '$6 ~ /^route_/ {print $6 "=" $7}' "$jar")"
    for i in 1 2 3 4 5 6; do
        printf '  %s' "$(curl -s -b "$jar" "http://127.0.0.1:$LB_PORT/")"
        echo
    done
    rm -f "$jar"
    second
    cat <<EOT

Scale it and watch the tasks come and go, stickiness kept:
  docker service scale ${STACK}_app=5
  curl -s http://127.0.0.1:$STATUS_PORT/swarm
Remove it: make demo-down
EOT
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# a second service, routed by its labels alone: the load balancer is not
# touched, and follows within a second of the task running
second() {
    local svc="${STACK}_hello" host=hello.localhost i task="" cid="" body
    local running routed
    cat <<EOT

A second service, routed by its own labels; the load balancer is left as
it is:
  docker service create --name $svc --network ${STACK}_net \\
      --label swarm.enable=true --label swarm.http.host=$host \\
      --label swarm.port=8080 $SWARM_IMAGE echo-backend
EOT
    docker service rm "$svc" >/dev/null 2>&1 || true
    docker service create -d -q --name "$svc" --network "${STACK}_net" \
        --label swarm.enable=true --label "swarm.http.host=$host" \
        --label swarm.port=8080 --stop-signal SIGTERM \
        "$SWARM_IMAGE" echo-backend >/dev/null 2>"$top/hello.log" \
        || { cat "$top/hello.log" >&2; die "docker service create failed"; }
    rm -f "$top/hello.log"
    for i in $(seq 1 600); do
        task=$(docker service ps -q -f desired-state=running "$svc" | head -n 1)
        if [ -n "$task" ] && [ "$(docker inspect -f '{{.Status.State}}' \
                                  "$task" 2>/dev/null)" = running ]; then
            running=$(now_ms)
            cid=$(docker inspect -f '{{.Status.ContainerStatus.ContainerID}}' \
                  "$task" | cut -c1-12)
            break
        fi
        sleep 0.1
    done
    [ -n "$cid" ] || die "$svc did not start"
    for i in $(seq 1 1000); do
        body=$(curl -s --max-time 2 -H "Host: $host" \
               "http://127.0.0.1:$LB_PORT/" || true)
        if [ "${body%% *}" = "$cid" ]; then
            routed=$(now_ms)
            break
        fi
        sleep 0.01
    done
    [ -n "${routed:-}" ] || die "$host is not routed to $svc"
    echo "  running, and answering at Host: $host $((routed - running)) ms later:"
    printf '  %s\n' "$(curl -s -H "Host: $host" "http://127.0.0.1:$LB_PORT/")"
    echo "  (other hosts still reach the app: $(curl -s "http://127.0.0.1:$LB_PORT/"))"
}

down() {
    docker service rm "${STACK}_hello" >/dev/null 2>&1 || true
    docker stack rm "$STACK" >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 60); do
        docker network inspect "${STACK}_net" >/dev/null 2>&1 || return 0
        sleep 0.5
    done
}

case "${1:-demo}" in
    setup)  setup ;;
    deploy) deploy; wait_ready ;;
    down)   down ;;
    demo)   setup; deploy; wait_ready; show ;;
    *)      die "usage: $0 [setup|deploy|down]" ;;
esac
