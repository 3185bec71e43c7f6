import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';

/**
 * Text for the fields the kubelet expands: `command`, `args` and `env[].value`, where `$(NAME)` is
 * replaced with the value of an earlier variable of the container, one read from a Secret
 * included. Every string there is rendered escaped, so that a pool name or a URL cannot copy a
 * Secret into a command line; an expansion exists only where the library composes one from a
 * reference.
 */
export class KubeletText {
  /** `$(variable)`: the value of an earlier variable of the container. */
  public static reference(variable: string): KubeletText {
    return new KubeletText([{ variable }]);
  }

  /** Literal text (escaped) and references (kept), e.g. compose`redis://:${password}@redis:6379`. */
  public static compose(strings: TemplateStringsArray, ...parts: Array<string | KubeletText>): KubeletText {
    const pieces: Piece[] = [];
    strings.forEach((text, i) => {
      pieces.push(text);
      const part = parts[i];
      if (part instanceof KubeletText) pieces.push(...part.pieces);
      else if (part !== undefined) pieces.push(part);
    });
    return new KubeletText(pieces);
  }

  private constructor(private readonly pieces: Piece[]) {}

  /**
   * The value as the container spec carries it. Adjacent literal pieces are escaped as one text,
   * and a literal's last '$' before a reference as if the reference's '$' followed it: escaped
   * apart, "x$" and "(NAME)" would join into a reference.
   */
  public render(): string {
    const merged = this.pieces.reduce<Piece[]>((all, p) => {
      const last = all[all.length - 1];
      if (typeof p === 'string' && typeof last === 'string') all[all.length - 1] = last + p;
      else all.push(p);
      return all;
    }, []);
    return merged.map((p, i) => {
      if (typeof p !== 'string') return `$(${p.variable})`;
      return i + 1 < merged.length ? escapeForKubelet(`${p}$`).slice(0, -1) : escapeForKubelet(p);
    }).join('');
  }
}

type Piece = string | { readonly variable: string };

/** An argument of a container: literal, or composed with references. */
export type ContainerArg = string | KubeletText;

/** An environment variable whose value is literal, or composed with references. */
export interface ContainerEnvVar extends Omit<k8s.EnvVar, 'value'> {
  readonly value?: string | KubeletText;
}

/**
 * `text` as the kubelet reads it back literally: `$$` stands for `$`, and only a `$` before `$` or
 * `(` is special, so doubling those changes nothing else.
 */
export function escapeForKubelet(text: string): string {
  return text.replace(/\$(?=[$(])/g, '$$$$');
}

function renderText(text: string | KubeletText): string {
  return text instanceof KubeletText ? text.render() : escapeForKubelet(text);
}

/** Arguments as the container spec carries them. */
export function renderArgs(args: readonly ContainerArg[]): string[] {
  return args.map(renderText);
}

/** Variables as the container spec carries them; variables produced at synth are rendered then. */
export function renderEnv<V extends ContainerEnvVar>(env: readonly V[]): Array<Omit<V, 'value'> & { value?: string }> {
  if (env instanceof Lazy) return Lazy.any({ produce: () => renderEnv(env.produce()) });
  return env.map(v => ({ ...v, ...(v.value !== undefined ? { value: renderText(v.value) } : {}) }));
}
