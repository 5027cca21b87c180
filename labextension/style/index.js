import './base.css';
import './person.css';
