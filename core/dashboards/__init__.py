"""领导驾驶舱: the dashboards' cached aggregate queries and the workbench's headline figures. Reads every area; nothing imports it but the screens."""
