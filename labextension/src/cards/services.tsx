/**
 * What the cards need of JupyterLab, in one place: Markdown through rendermime (sanitised:
 * model text is untrusted), code highlighted by CodeMirror's language registry, and where a
 * cell sits in the notebook. The plugin fills these in; without them (tests, a renderer
 * made before the plugin ran) text is shown as plain text, never as HTML.
 */
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { renderMarkdown } from '@jupyterlab/rendermime';
import * as React from 'react';
import type { KernelMode } from '../protocol';

export interface ICardServices {
  /** Render untrusted Markdown into `host` (sanitised). */
  markdown(host: HTMLElement, source: string): Promise<void>;
  /** Render `code` into `host`, highlighted as `language` when it is known. */
  highlight(host: HTMLElement, code: string, language: string): Promise<void>;
  /** How a cell id reads to a person: "cell 4", or null when it is not in the notebook. */
  cellLabel(cellId: string): string | null;
  /** The approval mode of the card's notebook session, as its views show it (when known). */
  sessionMode?: () => KernelMode;
}

export const plainServices: ICardServices = {
  async markdown(host, source) {
    host.textContent = source;
  },
  async highlight(host, code) {
    host.textContent = code;
  },
  cellLabel: () => null
};

export interface IServiceSources {
  markdownParser?: IRenderMime.IMarkdownParser | null;
  sanitizer?: IRenderMime.ISanitizer | null;
  resolver?: IRenderMime.IResolver | null;
  linkHandler?: IRenderMime.ILinkHandler | null;
  latexTypesetter?: IRenderMime.ILatexTypesetter | null;
  languages?: IEditorLanguageRegistry | null;
}

let shared: IServiceSources = {};

/** What the plugin found (called once at activation). */
export function provideServices(sources: IServiceSources): void {
  shared = { ...shared, ...sources };
}

/** Services over JupyterLab's rendermime and CodeMirror (`sources` override the plugin's). */
export function makeServices(
  sources: IServiceSources = {},
  cellLabel: (cellId: string) => string | null = () => null
): ICardServices {
  const found = { ...shared, ...stripEmpty(sources) };
  return {
    async markdown(host, source) {
      if (!found.sanitizer) {
        host.textContent = source;
        return;
      }
      host.textContent = '';
      await renderMarkdown({
        host,
        source,
        trusted: false,
        sanitizer: found.sanitizer,
        resolver: found.resolver ?? null,
        linkHandler: found.linkHandler ?? null,
        latexTypesetter: found.latexTypesetter ?? null,
        markdownParser: found.markdownParser ?? null,
        shouldTypeset: true
      });
    },
    async highlight(host, code, language) {
      host.textContent = code; // readable at once; the highlighted copy replaces it
      const registry = found.languages;
      const spec = registry && language ? registry.findBest(language) : null;
      if (!registry || !spec) {
        return;
      }
      const styled = document.createElement('span');
      await registry.highlight(code, spec, styled);
      if (styled.textContent === code) {
        host.replaceChildren(...Array.from(styled.childNodes));
      }
    },
    cellLabel
  };
}

function stripEmpty(sources: IServiceSources): IServiceSources {
  const out: IServiceSources = {};
  for (const [key, value] of Object.entries(sources)) {
    if (value) {
      (out as { [k: string]: unknown })[key] = value;
    }
  }
  return out;
}

export const Services = React.createContext<ICardServices>(plainServices);

/** Untrusted Markdown, rendered by rendermime (sanitised). */
export function Markdown(props: { source: string; className?: string }): JSX.Element {
  const services = React.useContext(Services);
  const ref = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    const host = ref.current;
    if (host) {
      void services.markdown(host, props.source).catch(() => {
        host.textContent = props.source;
      });
    }
  }, [props.source, services]);
  return <div ref={ref} className={`jp-plan-markdown ${props.className ?? ''}`} />;
}

/** Code highlighted by CodeMirror (a block, or one line of a diff). */
export function Code(props: {
  code: string;
  language: string;
  block?: boolean;
  className?: string;
}): JSX.Element {
  const services = React.useContext(Services);
  const ref = React.useRef<HTMLElement>(null);
  React.useEffect(() => {
    const host = ref.current;
    if (host) {
      void services.highlight(host, props.code, props.language).catch(() => {
        host.textContent = props.code;
      });
    }
  }, [props.code, props.language, services]);
  const code = <code ref={ref} className={props.className} data-language={props.language} />;
  return props.block === false ? code : <pre className="jp-plan-code">{code}</pre>;
}
