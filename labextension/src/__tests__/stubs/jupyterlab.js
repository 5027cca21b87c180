// What the card modules import from JupyterLab's DOM packages, for Jest's pure tests: the
// tests call no renderer and open no dialog, so each is a stub that says so if used.
const unused = name => () => {
  throw new Error(`${name} is not available in the Jest tests`);
};
module.exports = {
  renderMarkdown: unused('renderMarkdown'),
  showDialog: unused('showDialog'),
  Dialog: { cancelButton: unused('Dialog'), warnButton: unused('Dialog') },
  InputDialog: { getText: unused('InputDialog') }
};
