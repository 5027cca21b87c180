/**
 * The Pages section of the sidebar: the project's pages (the person's Markdown context),
 * each opened in the editor on click, and a box to make a new one. Listed by the kernel
 * (`pages`), so the hidden pages folder needs no server setting.
 */
import * as React from 'react';
import type { PanelBridge } from '../bridge/bridges';
import type { JSONObject } from '../protocol';

interface IPageRow {
  name: string;
  title: string;
  chars: number;
}

export function PagesSection(props: {
  bridge: PanelBridge | null;
  connected: boolean;
  onOpen: (name: string) => void;
}): JSX.Element | null {
  const { bridge, connected } = props;
  const [pages, setPages] = React.useState<IPageRow[]>([]);
  const [name, setName] = React.useState('');
  const [error, setError] = React.useState<string | null>(null);
  const [tick, setTick] = React.useState(0);

  React.useEffect(() => {
    if (!bridge || !connected) {
      setPages([]);
      return;
    }
    let live = true;
    bridge.request('pages', {}).then(
      answer => live && setPages(((answer as JSONObject).pages ?? []) as unknown as IPageRow[]),
      (e: Error) => live && setError(e.message)
    );
    return () => {
      live = false;
    };
  }, [bridge, connected, tick]);

  if (!bridge) {
    return null;
  }
  const create = (event: React.FormEvent) => {
    event.preventDefault();
    const wanted = name.trim();
    if (!wanted) {
      return;
    }
    setError(null);
    bridge.request('page_new', { name: wanted }).then(
      () => {
        setName('');
        setTick(tick + 1);
        props.onOpen(wanted);
      },
      (e: Error) => setError(e.message)
    );
  };
  return (
    <section className="jp-plan-pages" aria-label="Pages">
      <div className="jp-plan-pages-header">
        <span className="jp-plan-pages-title">Pages</span>
        <button
          type="button"
          className="jp-plan-button jp-plan-pages-refresh"
          title="List the pages again"
          disabled={!connected}
          onClick={() => setTick(tick + 1)}
        >
          Refresh
        </button>
      </div>
      {pages.length === 0 ? (
        <div className="jp-plan-empty">No pages yet: background and guidelines for plans.</div>
      ) : (
        <ul className="jp-plan-page-list">
          {pages.map(page => (
            <li key={page.name} className="jp-plan-page" data-page={page.name}>
              <a
                href="#"
                title={`Open ${page.name}.md in the editor (%%plan --page ${page.name} uses it)`}
                onClick={e => {
                  e.preventDefault();
                  props.onOpen(page.name);
                }}
              >
                {page.title}
              </a>{' '}
              <span className="jp-plan-page-name">{page.name}</span>
            </li>
          ))}
        </ul>
      )}
      <form className="jp-plan-page-new" onSubmit={create}>
        <input
          className="jp-mod-styled jp-plan-page-new-name"
          aria-label="New page name"
          placeholder="page name"
          value={name}
          disabled={!connected}
          onChange={e => setName(e.target.value)}
        />
        <button
          type="submit"
          className="jp-plan-button jp-plan-page-new-button"
          disabled={!connected || !name.trim()}
        >
          New page
        </button>
      </form>
      {error && (
        <div className="jp-plan-notice jp-plan-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
