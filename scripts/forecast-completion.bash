# bash completion for forecast — installed by make install as
# share/bash-completion/completions/forecast. The commands, their options and
# the model names come from the binary itself (forecast --help, forecast help
# COMMAND, forecast list-models), so completion follows the installed version.

_forecast_models()
{
    "${1:-forecast}" list-models 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_forecast()
{
    local cur prev bin cmd i words
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    bin=${COMP_WORDS[0]}
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -*) ;;
        *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [ -z "$cmd" ]; then
        words=$("$bin" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
        COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
        return
    fi
    case $cmd in
    describe|help)
        if [[ $cur != -* ]]; then
            if [ "$cmd" = help ]; then
                words=$("$bin" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
            else
                words=$(_forecast_models "$bin")
            fi
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
            return
        fi
        ;;
    esac
    case $prev in
    --model)
        COMPREPLY=($(compgen -W "$(_forecast_models "$bin")" -- "$cur"))
        return
        ;;
    --strategy)
        COMPREPLY=($(compgen -W "combined individual" -- "$cur"))
        return
        ;;
    --run|--resume|--out|--dir)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
        # "  --name ARG   text" and "  -h, --help   text" lines of the help
        words=$("$bin" help "$cmd" 2>/dev/null | awk '/^options:/ { on = 1; next }
            on && /^  -/ { for (i = 1; i <= NF; i++) if ($i ~ /^--?[a-z]/) { sub(/,$/, "", $i); print $i } else break }')
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _forecast forecast
