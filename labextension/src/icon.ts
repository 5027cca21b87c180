import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M6 2h9l5 5v15H4V2h2zm8 1.5V8h4.5L14 3.5zM7 11h10v1.6H7V11zm0 3.5h10v1.6H7v-1.6zm0 3.5h6v1.6H7V18z"/>
  </g>
</svg>`;

export const planIcon = new LabIcon({ name: 'jupyter-plan:plan', svgstr: svg });
