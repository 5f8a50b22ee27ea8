# bash completion for rollmat and rollmatd (needs the bash-completion
# package's helpers). Commands and options come from the programs' own
# --help, so completion offers exactly what the installed version takes;
# what an option's value may be (device specs, profiles, file types) is
# known here.

# The subcommands, from `rollmat --help`.
_rollmat_commands()
{
    "$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

# Every long and short option a --help text names.
_rollmat_options()
{
    "$@" --help 2>/dev/null | grep -oE -- '(^|[ ,[])--?[a-zA-Z][a-zA-Z0-9-]*' |
        sed 's/^[ ,[]//' | sort -u
}

# The simulator's scenarios, from `rollmat sim --help`.
_rollmat_scenarios()
{
    "$1" sim --help 2>/dev/null | sed -n 's/.*--scenario NAME.*): //p'
}

# Device specs (shared/spec/cli.md): usb, usb:VID:PID[:SERIAL], sim[:SCENARIO],
# serial:PATH, file:PATH.rmw.
_rollmat_devices()
{
    local prog=$1 cur=$2 s
    case $cur in
    file:*)
        local IFS=$'\n' f
        for f in $(compgen -f -- "${cur#file:}"); do
            if [[ -d $f ]]; then
                COMPREPLY+=("file:$f/")
            elif [[ $f == *.rmw ]]; then
                COMPREPLY+=("file:$f")
            fi
        done
        compopt -o nospace 2>/dev/null
        ;;
    serial:*)
        COMPREPLY=($(compgen -W "$(printf 'serial:%s ' /dev/ttyUSB* /dev/ttyACM* 2>/dev/null)" \
            -- "$cur"))
        ;;
    sim:*)
        for s in $(_rollmat_scenarios "$prog"); do
            [[ sim:$s == "$cur"* ]] && COMPREPLY+=("sim:$s")
        done
        ;;
    *)
        COMPREPLY=($(compgen -W "usb usb: sim sim: serial: file:" -- "$cur"))
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && compopt -o nospace 2>/dev/null
        ;;
    esac
    # bash splits words at ':': give back only what follows the last one.
    __ltrim_colon_completions "$cur"
}

# The value of option $prev of command $cmd; returns 1 when $prev takes none.
_rollmat_option_value()
{
    local prog=$1 cmd=$2 prev=$3 cur=$4
    case $prev in
    -d | --device) _rollmat_devices "$prog" "$cur" ;;
    -p | --profile)
        COMPREPLY=($(compgen -W "default short long" -- "$cur"))
        _filedir ini
        ;;
    -c | --calibration | --cal | --from) _filedir h5 ;;
    --load) _filedir h5 ;;
    -o | --output | --out)
        case $cmd in
        sim) _filedir '@(h5|rmw)' ;;
        analyze | plot | export) _filedir -d ;;
        *) _filedir h5 ;;
        esac
        ;;
    -D | --dir) _filedir -d ;;
    -s | --socket) _filedir ;;
    --plan) _filedir plan ;;
    --truth) _filedir json ;;
    --frames-csv) _filedir csv ;;
    --scenario) COMPREPLY=($(compgen -W "$(_rollmat_scenarios "$prog")" -- "$cur")) ;;
    -f | --format)
        case $cmd in
        plot) COMPREPLY=($(compgen -W "png svg" -- "$cur")) ;;
        import) COMPREPLY=($(compgen -W "tekscan xsensor" -- "$cur")) ;;
        esac
        ;;
    --curve) COMPREPLY=($(compgen -W "power table" -- "$cur")) ;;
    -t | --duration | --seed | --jobs | -J | -j | -z | --compression | --sensor | --tolerance | \
        -i | --auto-idle | --shard | --timeout) ;; # a number: nothing to offer
    *) return 1 ;;
    esac
    return 0
}

_rollmat()
{
    local cur prev words cword
    _init_completion -n := || return
    local prog=${words[0]} cmd="" sub="" i
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == -* ]] && continue
        if [[ -z $cmd ]]; then
            cmd=${words[i]}
        elif [[ $cmd == calib && -z $sub ]]; then
            sub=${words[i]}
        fi
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help -h --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_rollmat_commands "$prog")" -- "$cur"))
        fi
        return
    fi
    if [[ $cmd == calib && -z $sub && $cur != -* ]]; then
        COMPREPLY=($(compgen -W "zero equilibrate fit check" -- "$cur"))
        return
    fi
    _rollmat_option_value "$prog" "$cmd" "$prev" "$cur" && return
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_rollmat_options "$prog" $cmd $sub)" -- "$cur"))
        return
    fi
    case $cmd in
    import) _filedir ;;
    start | muscle)
        # The usual names (shared/spec/recording-format.md); any other goes.
        COMPREPLY=($(compgen -W "calf-left calf-right hamstring-left hamstring-right
            quad-left quad-right it-band-left it-band-right glute-left glute-right
            hip-flexor-left hip-flexor-right adductor-left adductor-right
            plantar-fascia-left plantar-fascia-right lower-back upper-back lat-left
            lat-right chest-left chest-right" -- "$cur"))
        ;;
    stop | mark | status) ;;
    summary) _filedir -d ;;
    *) _filedir h5 ;;
    esac
}

_rollmatd()
{
    local cur prev words cword
    _init_completion -n := || return
    # Scenario names come from the rollmat next to this rollmatd.
    local rollmat=rollmat
    [[ ${words[0]} == */* ]] && rollmat=${words[0]%/*}/rollmat
    _rollmat_option_value "$rollmat" rollmatd "$prev" "$cur" && return
    COMPREPLY=($(compgen -W "$(_rollmat_options "${words[0]}")" -- "$cur"))
}

complete -F _rollmat rollmat
complete -F _rollmatd rollmatd
